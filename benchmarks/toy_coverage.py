"""Mode coverage of every variant of the zoo on the 2-D ring of 8 and grid of 25 (the VEEGAN / PacGAN protocol),
each trained with its ``toy`` recipe from the catalogue (:mod:`tfgan_zoo.recipes`, built by
:func:`tfgan_zoo.zoo.build_run`, as ``tfgan-zoo train`` builds it).

Every variant with a toy recipe trains on ``ring_of_8`` and ``grid_of_25`` (:func:`tfgan_zoo.data.toy_mixture`,
100,000 training points) over several seeds. Each run is scored on 2,500 generated points (seed 1234) with
:func:`tfgan_zoo.metrics.toy.toy_mode_metrics`: modes captured, the fraction of high-quality samples (within 3σ
of their nearest mode) and the reverse KL of the high-quality samples' mode histogram against uniform. The bar
(:data:`TARGETS`), mean over seeds: ring 8/8 modes and ≥ 90 % HQ; grid ≥ 24/25 modes and ≥ 80 % HQ.

Published reference: PacGAN4 (Lin et al., NeurIPS 2018, following VEEGAN, Srivastava et al. 2017): 7.8 / 8
modes on the ring; 24.8 / 25 modes and 93.6 % high-quality samples on the grid.

Outputs (``--out``, default ``benchmarks/results``): ``toy_coverage.json`` (every run with its resolved recipe,
CPU seconds and generator steps per second; the summary), ``toy_coverage.md`` (mean ± std over seeds per row,
the published rows), ``toy_coverage.png`` (the first seed's samples of every row over the real mixture) and
``toy_coverage_samples.npz``. Runs accumulate: a run already in the JSON (same label, mixture, seed) is
skipped, so an interrupted benchmark resumes, and ``--set`` rows (tuning) sit next to the recipe rows.

Usage::

    python benchmarks/toy_coverage.py                        # every toy recipe x 2 mixtures x 3 seeds
    python benchmarks/toy_coverage.py --quick                # smoke run: 2 variants, 1 seed, 100 steps, *_quick
    python benchmarks/toy_coverage.py --variants gan sngan --seeds 0
    python benchmarks/toy_coverage.py --variants gan --set steps=20000 --set model.n_critic=2   # a tuned row
    python benchmarks/toy_coverage.py --report               # rewrite the table and figure from the JSON only
    python benchmarks/toy_coverage.py --merge /tmp/tuning    # add another folder's runs (e.g. a parallel sweep)
    python benchmarks/toy_coverage.py --ship                 # also ship the seed-0 recipe runs as generators

With ``--ship`` every seed-0 run of a recipe row (no ``--set``) is written to
``weights/tfgan_zoo_weights/<variant>_ring`` or ``<variant>_grid`` and recorded in the package's
``tfgan_zoo/pretrained/manifest.json`` (``_shipping.py``)
with its scores re-measured from the reloaded SavedModel under :data:`tfgan_zoo.pretrained.TOY_PROTOCOL`
(a recipe row already in the JSON is trained again for it).
"""
from __future__ import annotations

import math
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tfgan_zoo import data, pretrained, recipes  # noqa: E402
from tfgan_zoo.metrics.toy import toy_mode_metrics  # noqa: E402
from tfgan_zoo.visualization import compact_png, draw_toy_samples  # noqa: E402
import _shipping  # noqa: E402
from _common import RecipeBenchmark, build_recipe_run, mean_and_std, recipe_id, train_recipe_run  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
MIXTURES = data.toy_mixture_names()
EVAL_SAMPLES = pretrained.TOY_PROTOCOL["num_samples"]  # VEEGAN / PacGAN score 2,500 samples
EVAL_SEED = pretrained.TOY_PROTOCOL["seed"]
# The bar every toy recipe is tuned to reach, mean over seeds: (modes at least, high-quality fraction at least).
TARGETS = pretrained.TOY_BAR

# Published numbers (PacGAN, Lin et al. 2018): (label, mixture, modes, high-quality fraction).
PUBLISHED = [
    ("PacGAN4 (Lin et al. 2018), published", "ring_of_8", 7.8, None),
    ("PacGAN4 (Lin et al. 2018), published", "grid_of_25", 24.8, 0.936),
]


def toy_variants():
    """The variants with a ``toy`` recipe (every variant but the image-only ones), in catalogue order."""
    return BENCHMARK.variants()


def build_run(variant, mixture, seed, overrides=None):
    """The run of ``variant``'s toy recipe on ``mixture`` (:func:`tfgan_zoo.zoo.build_run`), as the CLI builds it."""
    return build_recipe_run(variant, mixture, seed, overrides)


def train_and_score(variant, mixture, seed, overrides=None):
    """Trains one recipe run (:func:`_common.train_recipe_run`) and scores :data:`EVAL_SAMPLES` of its points;
    returns (record, samples, model)."""
    run, _, record = train_recipe_run(variant, mixture, seed, overrides)
    samples = run.model.generate(EVAL_SAMPLES, seed=EVAL_SEED)
    record.update(mixture=mixture, generator_steps_per_second=record["generator_steps"] / record["train_wall_seconds"],
                  **toy_mode_metrics(samples, mixture))
    return record, samples, run.model


def _current_recipe_ids():
    return {variant: recipe_id(recipes.resolve(variant, "toy")) for variant in toy_variants()}


def summarise(runs, current_ids=None):
    """Mean and std over seeds for every (label, recipe, mixture), in the order the runs were first made; a row
    meets its target when the means reach :data:`TARGETS`. A row is the variant's recipe row when it has no
    overrides and its recipe is the catalogue's today (``current_ids``, {variant: :func:`recipe_id`}); runs of
    an earlier recipe keep their own row, labelled with its id."""
    current_ids = _current_recipe_ids() if current_ids is None else current_ids
    groups = {}
    for run in runs:
        if "error" not in run:
            groups.setdefault((run["label"], run["recipe_id"], run["mixture"]), []).append(run)
    rows = []
    for (label, identity, mixture), group in groups.items():
        recipe_row = not group[0]["overrides"] and current_ids.get(group[0]["variant"]) == identity
        if not recipe_row:
            label = f"{label} (recipe {identity})"
        row = {"label": label, "variant": group[0]["variant"], "mixture": mixture, "seeds": len(group),
               "num_modes": group[0]["num_modes"], "steps": group[0]["recipe"]["steps"], "recipe_id": identity,
               "recipe_row": recipe_row}
        for key in ("modes_captured", "high_quality_fraction", "reverse_kl", "train_cpu_seconds",
                    "train_wall_seconds", "generator_steps_per_second"):
            row[key] = mean_and_std(r[key] for r in group)
        modes, quality = TARGETS[mixture]
        row["meets_target"] = (row["modes_captured"]["mean"] >= modes
                               and row["high_quality_fraction"]["mean"] >= quality)
        rows.append(row)
    return rows


def _format_row(row):
    m, hq = row["modes_captured"], row["high_quality_fraction"]
    return (f"{m['mean']:.1f} ± {m['std']:.1f}", f"{100 * hq['mean']:.1f} ± {100 * hq['std']:.1f}",
            f"{row['steps']:,}", f"{row['train_cpu_seconds']['mean']:.0f}",
            "**yes**" if row["meets_target"] else "no")


def _table(by_label, published=()):
    lines = ["| row | seeds | ring: modes / 8 | ring: HQ % | ring: steps | ring: CPU s | ring: bar "
             "| grid: modes / 25 | grid: HQ % | grid: steps | grid: CPU s | grid: bar |", "|" + "---|" * 12]
    for label, mixtures in by_label.items():
        cells = []
        for mixture in MIXTURES:
            cells += list(_format_row(mixtures[mixture])) if mixture in mixtures else ["—"] * 5
        seeds = "/".join(str(mixtures[m]["seeds"]) if m in mixtures else "0" for m in MIXTURES)
        lines.append(f"| {label} | {seeds} | " + " | ".join(cells) + " |")
    for label in dict.fromkeys(p[0] for p in published):
        cells = []
        for mixture in MIXTURES:
            match = [p for p in published if p[0] == label and p[1] == mixture]
            _, _, modes, hq = match[0] if match else (None, None, "—", None)
            cells += [f"{modes}", "—" if hq is None else f"{100 * hq:.1f}", "—", "—", "—"]
        lines.append(f"| *{label}* | — | " + " | ".join(cells) + " |")
    return lines


def markdown(rows, settings):
    """The results tables: every variant's toy recipe, then the ``--set`` rows tried while tuning."""
    recipe_rows, tuned = {}, {}
    for row in rows:
        (recipe_rows if row["recipe_row"] else tuned).setdefault(row["label"], {})[row["mixture"]] = row
    met = sum(all(r["meets_target"] for r in mixtures.values()) and len(mixtures) == len(MIXTURES)
              for mixtures in recipe_rows.values())
    lines = [
        "# Toy mode coverage of the zoo's recipes",
        "",
        "Every variant trained with its `toy` recipe (`tfgan-zoo recipes VARIANT --data ring8`); mean ± std over "
        "seeds; 2,500 samples per run (seed 1234) scored with `tfgan_zoo.metrics.toy.toy_mode_metrics`: modes "
        "with at least one high-quality sample; HQ = samples within 3σ of their nearest mode (σ = 0.01 ring, 0.05 "
        "grid). Bar, on the means: ring 8/8 and HQ ≥ 90 %; grid ≥ 24/25 and HQ ≥ 80 %. Steps: generator steps "
        "of a run; CPU s: process CPU seconds of one run's training (XLA compilation included; the machine below).",
        "",
        f"## Recipes: {met} of {len(recipe_rows)} variants meet the bar on both mixtures",
        "",
        *_table(recipe_rows, PUBLISHED),
    ]
    if tuned:
        lines += ["", "## Settings tried while tuning", "",
                  "In brackets, the `--set` overrides of the variant's recipe at the time of the run (a recipe "
                  "changed since then is in the JSON's `recipe` of each run).", "", *_table(tuned)]
    lines += ["", f"Machine: {settings.get('machine', '?')}; TensorFlow {settings.get('tensorflow', '?')}, "
              f"Keras {settings.get('keras', '?')}."]
    return "\n".join(lines) + "\n"


def plot(samples, runs, path, current_ids=None):
    """Scatter of the first-seed samples of every recipe row (of every row when there is none) over the real
    mixture and its mode centres."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    current_ids = _current_recipe_ids() if current_ids is None else current_ids
    runs = [r for r in runs if "error" not in r]
    recipe_runs = [r for r in runs if not r["overrides"] and current_ids.get(r["variant"]) == r["recipe_id"]]
    runs = recipe_runs or runs
    labels = list(dict.fromkeys(r["label"] for r in runs))
    first = {}
    for run in runs:
        key = (run["label"], run["mixture"])
        if key not in first or run["seed"] < first[key]["seed"]:
            first[key] = run
    columns = min(4, len(labels))  # variants per row; each variant takes one panel per mixture
    rows = int(np.ceil(len(labels) / columns))
    fig, axes = plt.subplots(rows, columns * len(MIXTURES), figsize=(2.2 * columns * len(MIXTURES), 2.7 * rows),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for index, label in enumerate(labels):
        for j, mixture in enumerate(MIXTURES):
            run = first.get((label, mixture))
            key = BENCHMARK.sample_key(run) if run else None
            if key is None or key not in samples:
                continue
            ax = axes[index // columns, (index % columns) * len(MIXTURES) + j]
            ax.axis("on")
            name, _, options = label.partition(" [")
            options = "\n[" + options.replace(", ", " ") if options else ""
            draw_toy_samples(ax, samples[key], mixture, num_real=EVAL_SAMPLES,
                             title=f"{name}{options}\n{mixture}: {run['modes_captured']}/{run['num_modes']}, "
                             f"HQ {100 * run['high_quality_fraction']:.0f}%")
    fig.suptitle("Generated samples (blue, 2,500) over the real mixture (grey) and its mode centres (red), "
                 "first seed", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.7 * rows)))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    compact_png(path)


def describe(record):
    """The line printed after a run."""
    return (f"{record['label']:>28} {record['mixture']:>10} seed {record['seed']}: {record['modes_captured']:2d}/"
            f"{record['num_modes']} modes, HQ {100 * record['high_quality_fraction']:5.1f}%, "
            f"{record['train_cpu_seconds']:.0f} CPU s, {record['generator_steps_per_second']:.0f} steps/s")


def _finite_or_none(value):
    return value if not isinstance(value, float) or math.isfinite(value) else None  # JSON has no NaN


def _scores(record):
    """The toy metrics of a run record or :func:`tfgan_zoo.pretrained.toy_scores_at_protocol` result."""
    return {k: _finite_or_none(record[k]) for k in ("modes_captured", "num_modes", "high_quality_fraction",
                                                     "reverse_kl")}


def ship(model, record, destination=_shipping.REPOSITORY_DESTINATION):
    """Writes the generator of a trained recipe run (``record`` from :func:`train_and_score`) to
    ``<variant>_<ring|grid>`` of the weights folder (:func:`_shipping.save_generator`) and records it in the
    manifest (:func:`_shipping.install_generator`) with the scores of the RELOADED SavedModel under
    :data:`tfgan_zoo.pretrained.TOY_PROTOCOL`. Returns the manifest entry."""
    variant, mixture = record["variant"], record["mixture"]
    name = shipped_name(record)
    with tempfile.TemporaryDirectory() as staging:  # the package never holds a half-written SavedModel
        staged = _shipping.save_generator(model.sampling_generator, pathlib.Path(staging) / name, model.latent_dim,
                                           model.latent_distribution)
        reloaded = pretrained.PretrainedGenerator(name, str(staged), {"data": mixture})
        entry = {
            "variant": variant, "data": mixture, "latent_dim": model.latent_dim,
            "latent_distribution": model.latent_distribution, "output_shape": list(reloaded.generate(1).shape[1:]),
            "recipe": record["recipe"], "seed": record["seed"], "generator_steps": record["generator_steps"],
            "scores": _scores(pretrained.toy_scores_at_protocol(reloaded, mixture)),
            "protocol": pretrained.TOY_PROTOCOL,
            "target": {"modes_captured": TARGETS[mixture][0], "high_quality_fraction": TARGETS[mixture][1]},
            "train_cpu_seconds": record["train_cpu_seconds"],
        }
        return _shipping.install_generator(staged, name, entry, destination)


def shipped_name(record):
    """``<variant>_ring`` or ``<variant>_grid`` (:func:`tfgan_zoo.pretrained.toy_name`)."""
    return pretrained.toy_name(record["variant"], record["mixture"])


BENCHMARK = RecipeBenchmark(
    stem="toy_coverage", family="toy", description=__doc__.split("\n")[0], results_dir=RESULTS,
    data=MIXTURES, data_field="mixture", seeds=(0, 1, 2), quick_variants=("gan", "pacgan"), quick_steps=100,
    set_example="--set steps=20000 --set model.n_critic=2 (repeatable; see `tfgan-zoo recipes`)",
    settings={"eval_samples": EVAL_SAMPLES, "eval_seed": EVAL_SEED, "targets": TARGETS},
    train_and_score=train_and_score, summarise=summarise, describe=describe, ship=ship, shipped_name=shipped_name,
    markdown=lambda rows, results: markdown(rows, results["settings"]),
    plot=lambda rows, results, path: plot(results["samples"], results["runs"], path))
SHIP_SEED = BENCHMARK.ship_seed


def main(argv=None):
    """The command line (see the module docstring): :meth:`_common.RecipeBenchmark.main`."""
    return BENCHMARK.main(argv)


if __name__ == "__main__":
    main()
