"""Ships the generator of a finished ``tfgan-zoo train VARIANT --data mnist`` run folder as
``weights/tfgan_zoo_weights/<variant>_mnist`` (recorded in ``tfgan_zoo/pretrained/manifest.json``), judged again
from the exported SavedModel itself.

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

from tfgan_zoo import recipes
import _shipping
import zoo_mnist

def ship_run(run_dir, destination=_shipping.REPOSITORY_DESTINATION):
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
        facts = {"variant": variant, "latent_distribution": recipe["latent_distribution"], "recipe": today,
                 "seed": summary["seed"], "generator_steps": summary["generator_steps"]}
        return zoo_mnist.install(staged, name, facts, destination)


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
