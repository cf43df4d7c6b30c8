"""Every variant of the zoo on the 5,000 embedded MNIST digits, each trained with its ``28px`` recipe from the
catalogue (:mod:`tfgan_zoo.recipes`, built by :func:`tfgan_zoo.zoo.build_run`, as ``tfgan-zoo train VARIANT
--data mnist`` builds it), and judged on how recognisable its digits are.

Each run samples 2,500 digits (seed 1234) and is scored with the MNIST score card
(:mod:`tfgan_zoo.metrics.score_card`: classifier-FID, KID, IS, precision/recall against real half B, the digit
histogram and the confident fraction of the shipped classifier), and by an **independent judge**: a
scikit-learn MLP trained here on real half A only (:func:`independent_judge`), whose confident fraction on the
held-out half B is the real digits' figure. The bar (:data:`TARGETS`), on the means over seeds: at least 0.82 of
the samples confidently classified (top probability ≥ 0.9; that is 0.9× real digits) by both classifiers, every
digit within ±3 points of 10 %, and classifier precision ≥ 0.75.

Outputs (``--out``, default ``benchmarks/results``): ``zoo_mnist.json`` (every run with its resolved recipe,
CPU seconds, generator steps and scores; the real baseline; the summary), ``zoo_mnist.md`` (mean ± std over seeds
per row), ``zoo_mnist.png`` (64 samples of every row, real digits first) and ``zoo_mnist_samples.npz``. Runs
accumulate: a run already in the JSON (same label, recipe and seed) is skipped, so an interrupted benchmark
resumes, and ``--set`` rows (tuning, e.g. ``--set augment=translation,cutout``) sit next to the recipe rows.
The runs of the older fixed-CPU-budget protocol are in ``results/archive/cpu_budget_zoo_mnist.*``.

Usage::

    python benchmarks/zoo_mnist.py                                 # every variant's 28px recipe, seed 0
    python benchmarks/zoo_mnist.py --variants gan wgangp --seeds 0 1
    python benchmarks/zoo_mnist.py --variants gan --set steps=12000 --set model.ema_decay=0.999   # a tuned row
    python benchmarks/zoo_mnist.py --quick                         # smoke run: 2 variants, 50 steps, *_quick
    python benchmarks/zoo_mnist.py --report                        # rewrite table and figure from the JSON
    python benchmarks/zoo_mnist.py --merge /tmp/sweep              # add another folder's runs (a parallel sweep)
    python benchmarks/zoo_mnist.py --ship --variants gan           # also ship the seed-0 recipe run

With ``--ship`` the seed-0 run of a recipe row (no ``--set``) is written to
``weights/tfgan_zoo_weights/<variant>_mnist`` and recorded in the package's ``tfgan_zoo/pretrained/manifest.json``
(``_shipping.py``) with the score card of the reloaded SavedModel, its classifier-FID
under :data:`tfgan_zoo.pretrained.FID_PROTOCOL`, the recipe and the bar (a recipe row already in the JSON is
trained again for it). Two processes with ``--threads 1`` (and ``--out`` folders merged afterwards) use two cores.
"""
from __future__ import annotations

import functools
import os
import pathlib
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_zoo import pretrained, recipes  # noqa: E402
from tfgan_zoo.metrics import score_card  # noqa: E402
import _shipping  # noqa: E402
from _common import (RecipeBenchmark, build_recipe_run, machine_description, mean_and_std,  # noqa: E402,F401
                     recipe_id, train_recipe_run)

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
FAMILY = "28px"
EVAL_SAMPLES = score_card.PROTOCOL["num_samples"]
EVAL_SEED = score_card.PROTOCOL["seed"]
GRID_SAMPLES = 64
TARGETS = pretrained.MNIST_BAR  # on the means over seeds
SUMMARY_KEYS = ("generator_steps", "train_cpu_seconds", "fid", "kid", "is", "precision", "recall",
                "confident_fraction", "independent_confident_fraction", "max_class_deviation", "classes_present")
# Variants first that the rest are read against.
ORDER = ("gan", "wgangp", "sngan", "sagan", "lsgan", "hinge", "r1", "dragan", "ragan", "ralsgan", "minimax", "pacgan",
         "instance_noise", "gngan", "realness", "sphere", "wgan", "unrolled")


def mnist_variants():
    """The variants with a ``28px`` recipe, in :data:`ORDER` (then catalogue order)."""
    return BENCHMARK.variants()


@functools.lru_cache(maxsize=1)
def independent_judge():
    """A digit classifier that shares nothing with the project's: a scikit-learn MLP (one hidden layer of 256,
    seed 0) trained on the raw pixels of real half A only (:func:`tfgan_zoo.metrics.score_card.real_halves`).
    Returns ``(classifier, confident fraction of real half B)``: the held-out real digits' figure."""
    from sklearn.neural_network import MLPClassifier

    (images_a, labels_a), (images_b, _) = score_card.real_halves()
    judge = MLPClassifier(hidden_layer_sizes=(256,), max_iter=300, random_state=0)
    judge.fit(images_a.reshape(len(images_a), -1), labels_a)
    return judge, independent_judgement(images_b, judge)["independent_confident_fraction"]


def independent_judgement(images, judge=None):
    """The independent judge's :func:`~tfgan_zoo.metrics.score_card.digit_judgement` of ``images`` (28×28×1),
    its keys prefixed ``independent_``."""
    judge = judge if judge is not None else independent_judge()[0]
    images = np.asarray(images, dtype=np.float32)
    judged = score_card.digit_judgement(judge.predict_proba(images.reshape(len(images), -1)))
    return {f"independent_{key}": value for key, value in judged.items()}


def judge(images):
    """Every figure of the bar for 2,500 digits: the score card and the independent judgement."""
    return {**score_card.score_card(images), **independent_judgement(images)}


meets_targets = pretrained.meets_mnist_bar


def real_baseline():
    """Real half A's score card against half B, and the independent judge's figure for held-out half B."""
    return {**score_card.real_baseline(), "independent_confident_fraction": independent_judge()[1]}


def build_run(variant, seed, overrides=None):
    """The run of ``variant``'s 28px recipe on the 5,000 digits (:func:`tfgan_zoo.zoo.build_run`), as the CLI
    builds it."""
    return build_recipe_run(variant, "mnist", seed, overrides)


def train_and_score(variant, seed, overrides=None):
    """Trains one recipe run (:func:`_common.train_recipe_run`) and judges :data:`EVAL_SAMPLES` of its digits;
    returns (record, samples, model). Raises FloatingPointError when a figure of the last epoch is not finite."""
    run, history, record = train_recipe_run(variant, "mnist", seed, overrides)
    final = {k: float(v[-1]) for k, v in history.history.items()}
    if not all(np.isfinite(v) for v in final.values()):
        raise FloatingPointError(f"non-finite figures at the end of training: {final}")
    images = run.model.generate(EVAL_SAMPLES, seed=EVAL_SEED)
    record.update(tf_threads=tf.config.threading.get_intra_op_parallelism_threads() or None,
                  machine=machine_description(), final=final, **judge(images))
    return record, images, run.model


def _current_recipe_ids():
    return {variant: recipe_id(recipes.resolve(variant, FAMILY)) for variant in mnist_variants()}


def summarise(runs, current_ids=None):
    """Mean and std over seeds of every (label, recipe), in :data:`ORDER`, recipe rows first; a row is a
    ``recipe_row`` when it has no ``--set`` and its recipe is today's; ``meets_target`` is judged on the means."""
    current_ids = _current_recipe_ids() if current_ids is None else current_ids
    groups = {}
    for run in runs:
        if "error" not in run:
            groups.setdefault((run["label"], run["recipe_id"]), []).append(run)
    rows = []
    for (label, rid), group in groups.items():
        group = sorted(group, key=lambda r: r["seed"])
        first = group[0]
        recipe_row = not first["overrides"] and current_ids.get(first["variant"]) == rid
        row = {"label": label if recipe_row or first["overrides"] else f"{label} (recipe {rid})",
               "variant": first["variant"], "recipe_id": rid, "recipe_row": recipe_row,
               "seeds": [r["seed"] for r in group], "augment": first["recipe"].get("augment", "none"),
               "steps": first["recipe"]["steps"]}
        row.update({key: mean_and_std(r[key] for r in group) for key in SUMMARY_KEYS})
        row["classes_present_min"] = min(r["classes_present"] for r in group)
        row["meets_target"] = meets_targets({key: row[key]["mean"] for key in TARGETS})
        rows.append(row)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(rows, key=lambda r: (not r["recipe_row"], rank.get(r["variant"], len(ORDER)), r["label"]))


def _cell(stat, digits=3, scale=1.0):
    return f"{scale * stat['mean']:.{digits}f} ± {scale * stat['std']:.{digits}f}"


def summary_table(rows, baseline=None):
    """Markdown lines of the table: one line a row of :func:`summarise`, the real digits first."""
    lines = ["| row | augment | seeds | steps | CPU min | confident (ours) | confident (independent) | precision "
             "| recall | max \\|f−0.1\\| | digits (fewest) | FID | IS | bar |", "|" + "---|" * 14]
    if baseline:
        lines.append(f"| *real digits* | — | — | — | — | {baseline['confident_fraction']:.3f} | "
                     f"{baseline['independent_confident_fraction']:.3f} | {baseline['precision']:.3f} | "
                     f"{baseline['recall']:.3f} | {baseline['max_class_deviation']:.3f} | "
                     f"{baseline['classes_present']} | {baseline['fid']:.2f} | {baseline['is']:.2f} | — |")
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['augment']} | {len(row['seeds'])} | {row['steps']:,} | "
            f"{row['train_cpu_seconds']['mean'] / 60:.1f} | {_cell(row['confident_fraction'])} | "
            f"{_cell(row['independent_confident_fraction'])} | {_cell(row['precision'])} | {_cell(row['recall'])} | "
            f"{_cell(row['max_class_deviation'])} | {row['classes_present_min']} | {_cell(row['fid'], 1)} | "
            f"{_cell(row['is'], 2)} | {'**yes**' if row['meets_target'] else 'no'} |")
    return lines


def markdown(rows, baseline, settings):
    """The results: the recipe rows, then the ``--set`` rows tried while tuning."""
    recipe_rows = [row for row in rows if row["recipe_row"]]
    tuned = [row for row in rows if not row["recipe_row"]]
    met = sum(row["meets_target"] for row in recipe_rows)
    lines = [
        "# The zoo on real MNIST: every variant's 28px recipe",
        "",
        "Every variant trained with its `28px` recipe (`tfgan-zoo recipes VARIANT --data mnist`) on the 5,000 "
        f"embedded digits; mean ± std over seeds; {EVAL_SAMPLES:,} samples per run (seed {EVAL_SEED}) judged by "
        "the shipped classifier (*ours*: `tfgan_zoo.metrics.score_card`) and by an independent scikit-learn MLP "
        "trained on real half A only. *confident*: share of samples whose top class probability is ≥ 0.9; "
        "precision/recall: k-NN (k = 3) on our classifier's features against real half B; max |f−0.1|: largest "
        "deviation of our classifier's digit histogram from 10 %; FID: classifier-FID against half B. The *real "
        "digits* row is real half A against half B (the independent judge's figure: held-out half B). CPU min: "
        "process CPU minutes of one run's training (XLA compilation included). **Bar**, on the means: confident "
        f"≥ {TARGETS['confident_fraction']} by both classifiers, every digit within ±"
        f"{100 * TARGETS['max_class_deviation']:g} points of 10 %, precision ≥ {TARGETS['precision']}.",
        "",
        f"## Recipes: {met} of {len(recipe_rows)} variants meet the bar",
        "",
        *summary_table(recipe_rows, baseline),
    ]
    if tuned:
        lines += ["", "## Settings tried while tuning", "",
                  "In brackets, the `--set` overrides of the variant's recipe at the time of the run; rows marked "
                  "*(recipe …)* ran a recipe that has changed since (each run's recipe is in the JSON).", "",
                  *summary_table(tuned, baseline)]
    lines += ["", *shipped_table()]
    lines += ["", f"Machine: {settings.get('machine', '?')}; TensorFlow {settings.get('tensorflow', '?')}, "
              f"Keras {settings.get('keras', '?')}. Regenerate: `python benchmarks/zoo_mnist.py` (resumes; "
              "`--report` redraws from the JSON)."]
    return "\n".join(lines) + "\n"


def shipped_table(manifest_path=_shipping.REPOSITORY_DESTINATION.manifest_path):
    """Markdown lines: every shipped MNIST generator on the bar's figures, as its manifest entry records them (the
    score card and the independent judge of the reloaded SavedModel, measured when it was shipped), best first."""
    import json

    entries = {name: entry for name, entry in json.loads(pathlib.Path(manifest_path).read_text())["generators"].items()
               if entry.get("data") == "mnist"}
    lines = ["## Shipped generators", "",
             "Each `<variant>_mnist` generator of `tfgan_zoo.pretrained`, judged from its reloaded SavedModel when it "
             "was shipped (`tfgan_zoo/pretrained/manifest.json`; `tests/test_pretrained.py` measures the score card "
             "again). *made from*: the recipe's fingerprint, or *older protocol* for one trained before the recipes.",
             "", "| generator | made from | steps | confident (ours) | confident (independent) | precision | "
             "max \\|f−0.1\\| | FID | bar |", "|---|---|---|---|---|---|---|---|---|"]
    def order(item):
        scores = item[1].get("scores", {})
        return -min(scores.get("confident_fraction", 0), scores.get("independent_confident_fraction", 0))
    for name, entry in sorted(entries.items(), key=order):
        scores = entry.get("scores")
        if scores is None:
            lines.append(f"| `{name}` | older protocol | {entry.get('generator_steps', 0):,} | — | — | — | — | — | — |")
            continue
        lines.append(f"| `{name}` | recipe {recipe_id(entry['recipe'])} | {entry['generator_steps']:,} | "
                     f"{scores['confident_fraction']:.3f} | {scores['independent_confident_fraction']:.3f} | "
                     f"{scores['precision']:.3f} | {scores['max_class_deviation']:.3f} | {scores['fid']:.1f} | "
                     f"{'**yes**' if entry['meets_target'] else 'no'} |")
    return lines


def plot(samples, rows, path):
    """One 8×8 grid of first-seed samples per row (the recipe rows; every row when there is none), real first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfgan_zoo.visualization import compact_png, image_grid

    shown = [row for row in rows if row["recipe_row"]] or rows
    panels = [("real MNIST (half A)", samples.get("real"))]
    for row in shown:
        key = BENCHMARK.sample_key({"label": row["label"].split(" (recipe")[0], "recipe_id": row["recipe_id"],
                                    "seed": row["seeds"][0]})
        if key in samples:
            title = (f"{row['label']}\nconfident {row['confident_fraction']['mean']:.2f} / "
                     f"{row['independent_confident_fraction']['mean']:.2f}")
            panels.append((title, samples[key]))
    columns = min(6, len(panels))
    grid_rows = int(np.ceil(len(panels) / columns))
    fig, axes = plt.subplots(grid_rows, columns, figsize=(1.9 * columns, 2.15 * grid_rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (title, images) in zip(axes.ravel(), panels):
        if images is not None:
            ax.imshow(image_grid(images[:GRID_SAMPLES])[..., 0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    compact_png(path)


def _to_uint8(images):
    return np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _load_samples(path):
    """The grid samples saved by :func:`_save_samples` (uint8), back in [-1, 1]."""
    if not path.exists():
        return {}
    return {k: v.astype(np.float32) / 127.5 - 1.0 if v.dtype == np.uint8 else v for k, v in np.load(path).items()}


def _save_samples(samples):
    """The grid samples as uint8 for ``zoo_mnist_samples.npz`` (:func:`_load_samples` reads them back)."""
    return {k: _to_uint8(v) for k, v in samples.items()}


def _extras(previous, samples, training):
    """The JSON's real-digits baseline (kept from the runs' JSON, else measured) and bar; a training run also
    shows the real digits first in the figure."""
    if training:
        samples["real"] = score_card.real_halves()[0][0][:GRID_SAMPLES]
    return {"baseline": previous.get("baseline") or real_baseline(), "targets": TARGETS}


def describe(record):
    """The line printed after a run."""
    return (f"{record['label']:>28} seed {record['seed']}: confident {record['confident_fraction']:.3f} / "
            f"{record['independent_confident_fraction']:.3f}, precision {record['precision']:.3f}, max dev "
            f"{record['max_class_deviation']:.3f}, FID {record['fid']:.1f}, {record['generator_steps']} "
            f"steps, {record['train_cpu_seconds']:.0f} CPU s")


def shipped_name(record):
    """``<variant>_mnist``."""
    return f"{record['variant']}_mnist"


CONDITIONAL_PER_CLASS = 250  # 2,500 digits of a 10-class generator, as many as the unconditional protocol


def conditional_scores(generator):
    """Class-conditional accuracy of a class-conditional ``generator`` (:data:`CONDITIONAL_PER_CLASS` digits asked
    for per class): by the shipped classifier, and by the independent judge on the same digits."""
    from tfgan_zoo.metrics import class_conditional_accuracy

    judge_model = independent_judge()[0]
    options = {"per_class": CONDITIONAL_PER_CLASS, "seed": EVAL_SEED}
    ours = class_conditional_accuracy(generator, **options)
    theirs = class_conditional_accuracy(
        generator, classifier=lambda images: judge_model.predict_proba(np.reshape(images, (len(images), -1))),
        **options)
    return {"accuracy": ours["accuracy"], "independent_accuracy": theirs["accuracy"],
            "per_class_accuracy": ours["per_class_accuracy"], "per_class": CONDITIONAL_PER_CLASS}


def install(staged, name, facts, destination=_shipping.REPOSITORY_DESTINATION):
    """Ships the SavedModel folder ``staged`` as ``<name>`` of the weights folder (:func:`_shipping.install_generator`),
    its manifest entry holding ``facts`` (variant, recipe, seed, steps, ...) and the judgement of the RELOADED
    SavedModel: :func:`judge`, its classifier-FID under :data:`tfgan_zoo.pretrained.FID_PROTOCOL`, the bar and,
    for a class-conditional generator, :func:`conditional_scores`. Returns the manifest entry."""
    reloaded = pretrained.PretrainedGenerator(name, str(staged), {"data": "mnist"})
    scores = judge(reloaded.generate(EVAL_SAMPLES, seed=EVAL_SEED))
    entry = {
        **facts, "data": "mnist", "latent_dim": int(reloaded.latent_dim),
        "image_shape": list(reloaded.generate(1).shape[1:]),
        "fid": pretrained.fid_at_protocol(reloaded),
        "scores": {k: v for k, v in scores.items() if k in TARGETS or k in SUMMARY_KEYS},
        "protocol": dict(score_card.PROTOCOL, metrics=list(score_card.PROTOCOL["metrics"])),
        "target": TARGETS, "meets_target": meets_targets(scores),
    }
    if getattr(reloaded, "num_classes", None):
        entry.update(num_classes=int(reloaded.num_classes), conditional_scores=conditional_scores(reloaded))
    return _shipping.install_generator(staged, name, entry, destination)


def ship(model, record, destination=_shipping.REPOSITORY_DESTINATION):
    """Writes the sampling generator of a trained recipe run (``record`` from :func:`train_and_score`) to
    ``<variant>_mnist`` of the weights folder and records it in the manifest (:func:`install`). Returns the
    manifest entry."""
    name = shipped_name(record)
    with tempfile.TemporaryDirectory() as staging:  # the package never holds a half-written SavedModel
        staged = _shipping.save_generator(model.sampling_generator, pathlib.Path(staging) / name, model.latent_dim,
                                           model.latent_distribution,
                                           num_classes=model.conditioning.num_classes if model.takes_labels else None)
        facts = {key: record[key] for key in ("variant", "recipe", "seed", "generator_steps", "train_cpu_seconds")}
        return install(staged, name, {**facts, "latent_distribution": model.latent_distribution}, destination)


BENCHMARK = RecipeBenchmark(
    stem="zoo_mnist", family=FAMILY, description=__doc__.split("\n")[0], results_dir=RESULTS, data=("mnist",),
    seeds=(0,), order=ORDER, quick_variants=("gan", "lsgan"), quick_steps=50,
    set_example="--set steps=12000 --set augment=translation,cutout (repeatable; see `tfgan-zoo recipes VARIANT "
    "--data mnist`)",
    settings={"eval_samples": EVAL_SAMPLES, "eval_seed": EVAL_SEED}, grid_samples=GRID_SAMPLES,
    train_and_score=lambda variant, _, seed, overrides: train_and_score(variant, seed, overrides),
    summarise=summarise, describe=describe, ship=ship, shipped_name=shipped_name,
    markdown=lambda rows, results: markdown(rows, results["baseline"], results["settings"]),
    plot=lambda rows, results, path: plot(results["samples"], rows, path),
    load_samples=_load_samples, save_samples=_save_samples, extras=_extras)
SHIP_SEED = BENCHMARK.ship_seed
_run_key = BENCHMARK.run_key


def main(argv=None):
    """The command line (see the module docstring): :meth:`_common.RecipeBenchmark.main`."""
    return BENCHMARK.main(argv)


if __name__ == "__main__":
    sys.exit(main())
