"""Ships the generator of a finished ``tfgan-zoo train VARIANT --data mnist`` run folder as
``tfgan_zoo/pretrained/<variant>_mnist``, judged again from the exported SavedModel itself.

The run folder holds what the CLI wrote: ``recipe.json`` (the resolved 28px recipe), ``metrics.json`` (seed,
generator steps) and ``generator/`` (the SavedModel). The shipped entry records the recipe, the score card and the
independent judge's figures of the SavedModel (:func:`zoo_mnist.judge`, the MNIST benchmark's protocol), its
classifier-FID under :data:`tfgan_zoo.pretrained.FID_PROTOCOL`, the bar and, for a class-conditional generator,
its class-conditional accuracy (250 digits asked for per class) by both classifiers.

Usage::

    tfgan-zoo train cgan --data mnist --out runs/cgan-mnist
    python benchmarks/ship_mnist_run.py runs/cgan-mnist
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile

from tfgan_zoo import pretrained, recipes
from tfgan_zoo.metrics import class_agreement, class_conditional_accuracy
from tfgan_zoo.metrics import score_card
import zoo_mnist

PER_CLASS = 250  # 2,500 digits for a 10-class generator, as the unconditional protocol


def conditional_scores(generator):
    """Class-conditional accuracy of ``generator`` by the shipped classifier and by the independent judge."""
    import numpy as np

    ours = class_conditional_accuracy(generator, per_class=PER_CLASS, seed=score_card.PROTOCOL["seed"])
    labels = np.repeat(np.arange(ours["num_classes"]), PER_CLASS)
    images = generator.generate(len(labels), seed=score_card.PROTOCOL["seed"], labels=labels)
    judge = zoo_mnist.independent_judge()[0]
    theirs = class_agreement(judge.predict_proba(np.asarray(images).reshape(len(images), -1)), labels)
    return {"accuracy": ours["accuracy"], "independent_accuracy": theirs["accuracy"],
            "per_class_accuracy": ours["per_class_accuracy"], "per_class": PER_CLASS}


def ship_run(run_dir, out_dir=pretrained.PRETRAINED_DIR):
    """Ships ``run_dir``'s generator; returns the manifest entry."""
    run_dir = pathlib.Path(run_dir)
    recipe = json.loads((run_dir / "recipe.json").read_text())
    summary = json.loads((run_dir / "metrics.json").read_text())
    variant, name = recipe["variant"], f"{recipe['variant']}_mnist"
    if recipe.get("family") != "28px" or summary.get("data") != "mnist":
        raise SystemExit(f"{run_dir} is not an MNIST run of a 28px recipe (data {summary.get('data')!r}, family "
                         f"{recipe.get('family')!r}).")
    today = recipes.resolve(variant, "28px")
    recorded, wanted = recipes.training_view(recipe), recipes.training_view(today)
    changed = sorted(k for k in set(recorded) | set(wanted) if recorded.get(k) != wanted.get(k))
    if changed:
        raise SystemExit(f"{run_dir} was trained from another recipe than today's {variant} 28px recipe (it differs "
                         f"in {', '.join(changed)}); ship runs of today's recipe only.")
    with tempfile.TemporaryDirectory() as staging:  # the package never holds a half-written SavedModel
        staged = pathlib.Path(staging) / name
        shutil.copytree(run_dir / "generator", staged)
        reloaded = pretrained.PretrainedGenerator(name, str(staged), {"data": "mnist"})
        scores = zoo_mnist.judge(reloaded.generate(zoo_mnist.EVAL_SAMPLES, seed=zoo_mnist.EVAL_SEED))
        entry = {
            "variant": variant, "data": "mnist", "latent_dim": int(reloaded.latent_dim),
            "latent_distribution": recipe["latent_distribution"], "image_shape": [28, 28, 1],
            "recipe": today, "seed": summary["seed"], "generator_steps": summary["generator_steps"],
            "fid": pretrained.fid_at_protocol(reloaded),
            "scores": {k: v for k, v in scores.items() if k in zoo_mnist.TARGETS or k in zoo_mnist.SUMMARY_KEYS},
            "protocol": dict(score_card.PROTOCOL, metrics=list(score_card.PROTOCOL["metrics"])),
            "target": zoo_mnist.TARGETS, "meets_target": pretrained.meets_mnist_bar(scores),
        }
        if getattr(reloaded, "num_classes", None):
            entry["num_classes"] = int(reloaded.num_classes)
            entry["conditional_scores"] = conditional_scores(reloaded)
        return pretrained.install_generator(staged, name, entry, out_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=pathlib.Path, help="finished `tfgan-zoo train` run folders")
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:
        entry = ship_run(run_dir)
        print(f"shipped {entry['variant']}_mnist: {json.dumps(entry['scores'])} "
              f"{json.dumps(entry.get('conditional_scores', {}))}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
