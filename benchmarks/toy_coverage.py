"""Mode coverage of every variant of the zoo on the 2-D ring of 8 and grid of 25 (the VEEGAN / PacGAN protocol).

Every variant of :func:`tfgan_zoo.zoo.available_variants` whose default networks build for 2-D points (the MLPs
of :mod:`tfgan_zoo.nets`, latent 16) trains with its class's paper defaults (optimizers, critic updates, loss)
for the same number of generator steps (instance noise, where the variant has it, annealed linearly to 0
over the first half) on ``ring_of_8`` and ``grid_of_25`` (:func:`tfgan_zoo.data.toy_mixture`,
100,000 training points) over several seeds. Each run is scored on 2,500 generated points with
:func:`tfgan_zoo.metrics.toy.toy_mode_metrics`: modes captured, the fraction of high-quality samples (within 3σ
of their nearest mode) and the reverse KL of the high-quality samples' mode histogram against uniform.

Published reference (only numbers stated in the issue): PacGAN4 (Lin et al., "PacGAN: The power of two samples
in generative adversarial networks", NeurIPS 2018, toy 2-D experiments following VEEGAN, Srivastava et al.
2017): 7.8 / 8 modes on the ring; 24.8 / 25 modes and 93.6 % high-quality samples on the grid. Those runs used
their own (larger) MLPs and much longer training than the fixed budget here.

Outputs (``--out``, default ``benchmarks/results``): ``toy_coverage.json`` (every run, settings, summary),
``toy_coverage.md`` (mean ± std over seeds per variant and mixture, plus the published rows),
``toy_coverage.png`` (the first seed's samples of every variant over the mode centres) and
``toy_coverage_samples.npz`` (those samples, so the figure can be redrawn). Runs accumulate: a run already in
the JSON (same variant, settings, mixture, seed) is skipped, so an interrupted benchmark resumes and tuned
settings (``--lr``, ``--latent-dim``, ...) add rows next to the defaults instead of replacing them.

Usage::

    python benchmarks/toy_coverage.py                       # every toy variant x 2 mixtures x 3 seeds
    python benchmarks/toy_coverage.py --quick               # smoke run: 2 variants, 1 seed, 30 steps, *_quick files
    python benchmarks/toy_coverage.py --variants gan pacgan --steps 4000 --seeds 0 1 2
    python benchmarks/toy_coverage.py --variants gan --lr 1e-3 --latent-dim 2    # a tuned row, labelled
    python benchmarks/toy_coverage.py --report              # rewrite the table and figure from the JSON only
    python benchmarks/toy_coverage.py --merge /tmp/tuning   # add another folder's runs (e.g. a parallel sweep)
    python benchmarks/toy_coverage.py --ship                # train and ship the SHIPPED_TOY generators (seed 0)

``--ship`` trains seed 0 of each generator listed in :data:`SHIPPED_TOY` with the settings of its table row,
writes it to ``tfgan_zoo/pretrained/<variant>_ring`` or ``<variant>_grid`` and records it in the package's
``manifest.json`` with its scores re-measured from the reloaded SavedModel under
:data:`tfgan_zoo.pretrained.TOY_PROTOCOL` and the table's figures for the same settings; the results files are
only read.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import tempfile
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_zoo import data, pretrained, zoo  # noqa: E402
from tfgan_zoo.metrics.toy import toy_mode_metrics  # noqa: E402
from tfgan_zoo.visualization import compact_png  # noqa: E402
from tfgan_zoo.training_callbacks import InstanceNoiseSchedule, LinearLearningRateDecay  # noqa: E402
from _common import load_results, machine_description, merge_results, mean_and_std, parse_option  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
MIXTURES = ("ring_of_8", "grid_of_25")
DEFAULT_STEPS = 2000
DEFAULT_BATCH = 256
EVAL_SAMPLES = 2500  # VEEGAN / PacGAN score 2,500 samples
EVAL_SEED = 1234
TARGET_HIGH_QUALITY = 0.95

# Variants that build for points but are not themselves there: left out of the table and not shipped.
IMAGE_ONLY_VARIANTS = {"sagan": "self-attention needs feature maps; on points SAGAN would be SN + hinge + TTUR"}

# The toy generators `--ship` trains (seed 0) and ships to tfgan_zoo/pretrained as `<variant>_ring` / `_grid`,
# {(variant, mixture): settings that differ from the defaults}: every variant of the toy table on both mixtures
# (sagan is not in the table: see IMAGE_ONLY_VARIANTS), so a user can load any method's toy result. Each weighs
# ~205 KB (3 x 128 MLP, latent 16), 34 about 7 MB. Each uses the table's default settings except where a tuned
# row of the table is much better (minimax, pacgan and gngan on the ring, gngan on the grid); the manifest
# records the settings. Training is deterministic for a given code version, but some of the table's runs predate
# later changes to the training step (e.g. the fused real+fake critic pass), so a shipped run matches its row's
# figures only roughly; the manifest keeps both, and the test checks the shipped SavedModel's own figures.
TUNED_RING = {"steps": 10000, "batch_size": 512, "lr": 1e-3, "lr_decay": True}
TUNED = {"steps": 10000, "lr": 1e-3, "lr_decay": True}
SHIPPED_TOY_VARIANTS = ("gan", "minimax", "pacgan", "r1", "lsgan", "gngan", "hinge", "wgan", "wgangp", "sngan",
                        "dragan", "ragan", "ralsgan", "instance_noise", "realness", "sphere", "unrolled")
SHIPPED_TOY_TUNED = {("pacgan", "ring_of_8"): TUNED_RING, ("minimax", "ring_of_8"): TUNED_RING,
                     ("gngan", "ring_of_8"): TUNED, ("gngan", "grid_of_25"): TUNED}
SHIPPED_TOY = {(variant, mixture): SHIPPED_TOY_TUNED.get((variant, mixture), {})
               for variant in SHIPPED_TOY_VARIANTS for mixture in MIXTURES}
SHIP_SEED = 0

# Published numbers quoted by the issue (PacGAN, Lin et al. 2018): (label, mixture, modes, high-quality fraction).
PUBLISHED = [
    ("PacGAN4 (Lin et al. 2018), published", "ring_of_8", 7.8, None),
    ("PacGAN4 (Lin et al. 2018), published", "grid_of_25", 24.8, 0.936),
]


def build_model(variant, seed, latent_dim=None, hidden_units=None, model_options=None):
    """The zoo's ``variant`` with its default toy networks (optionally wider/deeper), seeded."""
    network_options = {}
    if hidden_units:
        network_options = {"generator": {"hidden_units": hidden_units}, "discriminator": {"hidden_units": hidden_units}}
    return zoo.build(variant, (2,), latent_dim=latent_dim, network_options=network_options, seed=seed,
                     **(model_options or {}))


def toy_variants():
    """Names of the variants whose default networks build for 2-D data (less :data:`IMAGE_ONLY_VARIANTS`), and
    ``{name: reason}`` for the others."""
    usable, skipped = [], dict(IMAGE_ONLY_VARIANTS)
    for name in zoo.available_variants():
        if name in IMAGE_ONLY_VARIANTS:
            continue
        try:
            build_model(name, seed=0)
            usable.append(name)
        except Exception as error:  # noqa: BLE001 - any variant that cannot build for points is reported, not fatal
            skipped[name] = f"{type(error).__name__}: {error}"
        keras.backend.clear_session()
    return usable, skipped


def run_settings(steps=DEFAULT_STEPS, batch_size=DEFAULT_BATCH, lr=None, lr_decay=False, latent_dim=None,
                 hidden_units=None, model_options=None):
    """The settings of one run, as the JSON records them (None: the variant's or the zoo's default)."""
    return {"steps": steps, "batch_size": batch_size, "lr": lr, "lr_decay": lr_decay, "latent_dim": latent_dim,
            "hidden_units": hidden_units, "model_options": model_options}


def run_label(variant, settings):
    """Row label: the variant, plus every setting that differs from the benchmark defaults."""
    defaults = {"batch_size": DEFAULT_BATCH, "steps": DEFAULT_STEPS, "lr_decay": False}
    changed = [f"{k}={v}" for k, v in sorted(settings.items()) if v is not None and defaults.get(k, None) != v]
    return variant + (f" [{', '.join(changed)}]" if changed else "")


def train(variant, mixture, seed, settings, jit_compile=True):
    """Trains one variant on one mixture for ``settings['steps']`` generator steps; returns (model, wall seconds,
    process CPU seconds of training)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)  # the default networks' initialisations
    model = build_model(variant, seed, settings.get("latent_dim"), settings.get("hidden_units"),
                        settings.get("model_options"))
    model.compile(jit_compile=jit_compile)
    if settings.get("lr") is not None:
        for optimizer in (model.d_optimizer, model.g_optimizer):
            optimizer.learning_rate = settings["lr"]
    dataset = data.toy_mixture(mixture, batch_size=settings["batch_size"], seed=seed, repeat=True)
    callbacks = []
    if model.instance_noise_enabled:  # Sønderby et al. anneal the noise: linearly to 0 over the first half
        callbacks.append(InstanceNoiseSchedule(max(1, settings["steps"] // 2)))
    if settings.get("lr_decay"):
        callbacks.append(LinearLearningRateDecay(settings["steps"]))
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(dataset, epochs=1, steps_per_epoch=settings["steps"], callbacks=callbacks, verbose=0)
    return model, time.perf_counter() - wall, time.process_time() - cpu


def train_and_score(variant, mixture, seed, settings, jit_compile=True):
    """Trains one variant on one mixture for ``settings['steps']`` generator steps (:func:`train`) and scores
    :data:`EVAL_SAMPLES` of its points; returns (record, samples, trained model)."""
    model, wall, cpu = train(variant, mixture, seed, settings, jit_compile)
    samples = model.generate(EVAL_SAMPLES, seed=EVAL_SEED)
    record = {"variant": variant, "label": run_label(variant, settings), "mixture": mixture, "seed": seed,
              "settings": settings, "train_wall_seconds": wall, "train_cpu_seconds": cpu, "jit_compile": jit_compile,
              "n_critic": model.n_critic, **toy_mode_metrics(samples, mixture)}
    return record, samples, model


def summarise(runs):
    """Mean and std over seeds for every (label, mixture), in the order the runs were first made."""
    groups = {}
    for run in runs:
        if "error" not in run:
            groups.setdefault((run["label"], run["mixture"]), []).append(run)
    rows = []
    for (label, mixture), group in groups.items():
        row = {"label": label, "variant": group[0]["variant"], "mixture": mixture, "seeds": len(group),
               "num_modes": group[0]["num_modes"], "steps": group[0]["settings"]["steps"]}
        for key in ("modes_captured", "high_quality_fraction", "reverse_kl", "train_cpu_seconds",
                    "train_wall_seconds"):
            row[key] = mean_and_std(r[key] for r in group)
        row["all_modes_every_seed"] = all(r["modes_captured"] == r["num_modes"] for r in group)
        row["meets_target"] = row["all_modes_every_seed"] and all(
            r["high_quality_fraction"] >= TARGET_HIGH_QUALITY for r in group)
        rows.append(row)
    return rows


def _format_row(row):
    m, hq, kl = row["modes_captured"], row["high_quality_fraction"], row["reverse_kl"]
    return (f"{m['mean']:.1f} ± {m['std']:.1f}", f"{100 * hq['mean']:.1f} ± {100 * hq['std']:.1f}",
            f"{kl['mean']:.2f} ± {kl['std']:.2f}")


def _table(by_label, published=()):
    lines = ["| variant | seeds | ring: modes / 8 | ring: HQ % | ring: rev. KL | grid: modes / 25 | grid: HQ % "
             "| grid: rev. KL | CPU min | target |", "|" + "---|" * 10]
    for label, mixtures in sorted(by_label.items()):
        cells = []
        for mixture in MIXTURES:
            cells += list(_format_row(mixtures[mixture])) if mixture in mixtures else ["—"] * 3
        seeds = "/".join(str(mixtures[m]["seeds"]) for m in MIXTURES if m in mixtures)
        cpu = sum(r["train_cpu_seconds"]["mean"] * r["seeds"] for r in mixtures.values()) / 60
        met = all(r["meets_target"] for r in mixtures.values())
        verdict = ("yes" if met else "no") + ("" if len(mixtures) == len(MIXTURES) else " (one mixture)")
        lines.append(f"| {label} | {seeds} | " + " | ".join(cells) + f" | {cpu:.1f} | {verdict} |")
    for label in dict.fromkeys(p[0] for p in published):
        cells = []
        for mixture in MIXTURES:
            match = [p for p in published if p[0] == label and p[1] == mixture]
            if match:
                _, _, modes, hq = match[0]
                cells += [f"{modes}", "—" if hq is None else f"{100 * hq:.1f}", "—"]
            else:
                cells += ["—"] * 3
        lines.append(f"| *{label}* | — | " + " | ".join(cells) + " | — | — |")
    return lines


def markdown(rows, settings):
    """The results tables: every variant at its paper defaults, then the tuned settings that were tried."""
    defaults, tuned = {}, {}
    for row in rows:
        target = defaults if row["label"] == row["variant"] else tuned
        target.setdefault(row["label"], {})[row["mixture"]] = row
    # the title describes the default rows, whatever settings the last invocation used
    default_rows = [row for row in rows if row["label"] == row["variant"]]
    steps = default_rows[0]["steps"] if default_rows else settings["steps"]
    seeds = max((row["seeds"] for row in default_rows), default=len(settings["seeds"]))
    lines = [
        f"# Toy mode coverage: {steps} generator steps, batch {DEFAULT_BATCH}, up to {seeds} seeds per row",
        "",
        "Mean ± std over seeds; 2,500 samples per run scored with `tfgan_zoo.metrics.toy.toy_mode_metrics`: modes "
        "with at least one high-quality sample; HQ = samples within 3σ of their nearest mode (σ = 0.01 ring, 0.05 "
        "grid); reverse KL of the high-quality samples' mode histogram against uniform (0 is best). Every variant "
        "uses its class's paper defaults and the zoo's default toy MLPs (3 × 128 ReLU, latent 16) unless the row "
        "says otherwise; instance noise is annealed linearly to 0 over the first half of the steps. CPU min: "
        "process CPU time of training (XLA compilation included), summed over the row's runs. "
        f"Target: every seed 8/8 and 25/25 with HQ ≥ {100 * TARGET_HIGH_QUALITY:.0f} %.",
        "",
        "## Paper defaults, same budget for every variant",
        "",
        *_table(defaults, PUBLISHED),
    ]
    if tuned:
        lines += ["", "## Settings tried", "",
                  "In brackets, what differs from the variant's paper defaults and the budget above: `lr` sets both "
                  "optimizers' learning rate, `lr_decay` decays both linearly to 0 over the run, `steps` and "
                  "`batch_size` as above. Seeds: runs per mixture.", "", *_table(tuned)]
    lines += ["", f"Machine: {settings['machine']}; TensorFlow {settings['tensorflow']}, Keras {settings['keras']}."]
    if settings.get("skipped"):
        lines += ["", "Variants whose default networks do not build for 2-D points: "
                  + "; ".join(f"`{k}` ({v.splitlines()[0][:120]})" for k, v in settings["skipped"].items())]
    return "\n".join(lines) + "\n"


def plot(samples, runs, path):
    """Scatter of every (label, mixture)'s first-seed samples over the mode centres."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(r["label"] for r in runs if "error" not in r))
    first = {}
    for run in runs:
        if "error" not in run:
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
            key = f"{label}|{mixture}|{run['seed']}" if run else None
            if key is None or key not in samples:
                continue
            ax = axes[index // columns, (index % columns) * len(MIXTURES) + j]
            ax.axis("on")
            centres, _ = data.toy_modes(mixture)
            limit = 1.6 * np.abs(centres).max()
            points = samples[key]
            ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3, color="tab:blue", rasterized=True)
            ax.scatter(centres[:, 0], centres[:, 1], s=12, marker="x", color="tab:red", linewidths=0.8)
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            name, _, options = label.partition(" [")
            options = "\n[" + options.replace(", ", " ") if options else ""
            ax.set_title(f"{name}{options}\n{mixture}: {run['modes_captured']}/{run['num_modes']}, "
                         f"HQ {100 * run['high_quality_fraction']:.0f}%", fontsize=6)
    fig.suptitle("Generated samples (blue, 2,500) and mode centres (red), first seed", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.7 * rows)))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    compact_png(path)


def _run_key(record):
    return json.dumps([record["label"], record["mixture"], record["seed"]])  # the label names every setting


def _write(out, stem, runs, samples, settings):
    rows = summarise(runs)
    (out / f"{stem}.json").write_text(json.dumps({"settings": settings, "runs": runs, "summary": rows}, indent=1))
    (out / f"{stem}.md").write_text(markdown(rows, settings))
    np.savez_compressed(out / f"{stem}_samples.npz", **samples)
    plot(samples, runs, out / f"{stem}.png")
    return rows


def _load_samples(path):
    return dict(np.load(path)) if path.exists() else {}


def _finite_or_none(value):
    return value if not isinstance(value, float) or math.isfinite(value) else None  # JSON has no NaN


def _scores(record):
    """The toy metrics of a run record or :func:`tfgan_zoo.pretrained.toy_scores_at_protocol` result."""
    return {k: _finite_or_none(record[k]) for k in ("modes_captured", "num_modes", "high_quality_fraction",
                                                     "reverse_kl")}


def benchmark_scores(runs, variant, mixture, seed, settings):
    """The benchmark's figures for a run with these settings: the seed's run and the row's mean over seeds (the
    table's figures), or None where the JSON has no such run."""
    label = run_label(variant, settings)
    key = _run_key({"label": label, "mixture": mixture, "seed": seed})
    run = next((r for r in runs if _run_key(r) == key and "error" not in r), None)
    if run is None:
        return None
    row = next(r for r in summarise(runs) if r["label"] == label and r["mixture"] == mixture)
    return {"row": label, f"seed_{seed}": _scores(run), "seeds": row["seeds"],
            "mean_over_seeds": {k: _finite_or_none(row[k]["mean"])
                                for k in ("modes_captured", "high_quality_fraction", "reverse_kl")}}


def ship(variant, mixture, settings, runs=(), seed=SHIP_SEED, out_dir=pretrained.PRETRAINED_DIR, jit_compile=True):
    """Trains ``variant`` on ``mixture`` with ``settings`` (:func:`train_and_score`), writes its generator to
    ``out_dir/<variant>_<ring|grid>`` (:func:`tfgan_zoo.pretrained.save_generator`) and records it in
    ``out_dir/manifest.json`` (:func:`tfgan_zoo.pretrained.record_in_manifest`) with the scores of the RELOADED
    SavedModel under :data:`tfgan_zoo.pretrained.TOY_PROTOCOL`, and the benchmark's figures for the same settings
    from ``runs`` (the JSON's runs). Returns the manifest entry."""
    name = pretrained.toy_name(variant, mixture)
    record, _, model = train_and_score(variant, mixture, seed, settings, jit_compile)
    latent_distribution = model.latent_distribution
    if not isinstance(latent_distribution, str):
        raise ValueError(f"{variant} draws z from a callable; only 'normal' or 'uniform' latents can be shipped.")
    with tempfile.TemporaryDirectory() as staging:  # the package never holds a half-written SavedModel
        staged = pretrained.save_generator(model.sampling_generator, pathlib.Path(staging) / name, model.latent_dim,
                                           latent_distribution)
        reloaded = pretrained.PretrainedGenerator(name, str(staged), {"data": mixture})
        entry = {
            "variant": variant, "data": mixture, "latent_dim": model.latent_dim,
            "latent_distribution": latent_distribution, "output_shape": list(reloaded.generate(1).shape[1:]),
            "networks": f"toy MLPs of tfgan_zoo.nets, hidden_units={list(settings['hidden_units'] or (128, 128, 128))}",
            "seed": seed, "steps": settings["steps"], "generator_steps": int(model.generator_steps.numpy()),
            "settings": settings, "label": record["label"],
            "tuned": record["label"] != variant,
            "scores": _scores(pretrained.toy_scores_at_protocol(reloaded, mixture)),
            "protocol": pretrained.TOY_PROTOCOL,
            "training_run": _scores(record),  # this run's own model.generate, as the benchmark scores it
            "benchmark": benchmark_scores(runs, variant, mixture, seed, settings),
            "train_cpu_seconds": record["train_cpu_seconds"],
        }
        return pretrained.install_generator(staged, name, entry, out_dir)


def ship_all(variants=None, mixtures=MIXTURES, results=RESULTS, out_dir=pretrained.PRETRAINED_DIR, jit_compile=True):
    """Ships every generator of :data:`SHIPPED_TOY` (those of ``variants`` and ``mixtures`` only, when given),
    one after the other, each recorded as soon as it is written; the benchmark's results are only read."""
    runs = load_results(results / "toy_coverage.json")["runs"]
    unknown = sorted(set(variants or ()) - {v for v, _ in SHIPPED_TOY})
    if unknown:
        raise ValueError(f"--variants {' '.join(unknown)}: not shipped on the toy mixtures; --ship takes "
                         f"{', '.join(sorted({v for v, _ in SHIPPED_TOY}))} (see SHIPPED_TOY).")
    entries = {}
    for (variant, mixture), overrides in SHIPPED_TOY.items():
        if (variants and variant not in variants) or mixture not in mixtures:
            continue
        entry = ship(variant, mixture, run_settings(**overrides), runs, out_dir=out_dir, jit_compile=jit_compile)
        name = pretrained.toy_name(variant, mixture)
        entries[name] = entry
        scores, bench = entry["scores"], entry["benchmark"]
        reference = (f"benchmark seed {SHIP_SEED}: {bench[f'seed_{SHIP_SEED}']['modes_captured']} modes, HQ "
                     f"{100 * bench[f'seed_{SHIP_SEED}']['high_quality_fraction']:.1f}%" if bench else
                     "no benchmark run with these settings")
        print(f"{name:>16} [{entry['label']}]: {scores['modes_captured']}/{scores['num_modes']} modes, HQ "
              f"{100 * scores['high_quality_fraction']:.1f}% ({reference}), {entry['size_bytes'] / 1e3:.0f} KB, "
              f"{entry['train_cpu_seconds']:.0f} CPU s", flush=True)
    return entries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", help="zoo variant names (default: every variant that builds for 2-D)")
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES), choices=MIXTURES)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"generator steps per run ({DEFAULT_STEPS})")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--lr", type=float, help="learning rate of both optimizers (default: the variant's)")
    parser.add_argument("--lr-decay", action="store_true", help="decay both learning rates linearly to 0")
    parser.add_argument("--latent-dim", type=int, help="latent size (default: the zoo's 16 for points)")
    parser.add_argument("--hidden-units", type=int, nargs="+", help="hidden widths of both MLPs (default 128 128 128)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=JSON",
                        help="extra model constructor option, e.g. --option unroll_steps=10 (repeatable)")
    parser.add_argument("--no-jit", action="store_true", help="train without XLA")
    parser.add_argument("--quick", action="store_true", help="smoke run: gan and pacgan, 1 seed, 30 steps, *_quick")
    parser.add_argument("--report", action="store_true", help="only rewrite the table and figure from the JSON")
    parser.add_argument("--merge", type=pathlib.Path, metavar="DIR",
                        help="add the runs (and samples) of another results folder, then rewrite the report")
    parser.add_argument("--ship", action="store_true",
                        help="train seed 0 of each generator in SHIPPED_TOY (only --variants / --mixtures, if given) "
                        "and ship it to tfgan_zoo/pretrained, recorded in its manifest; the results are not changed")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.ship:
        ship_all(args.variants, args.mixtures, results=args.out, jit_compile=not args.no_jit)
        return
    if args.quick:
        args.steps, args.seeds, args.variants = 30, args.seeds[:1], args.variants or ["gan", "pacgan"]
    stem = "toy_coverage_quick" if args.quick else "toy_coverage"
    args.out.mkdir(parents=True, exist_ok=True)
    previous = load_results(args.out / f"{stem}.json")
    runs = previous["runs"]
    samples = _load_samples(args.out / f"{stem}_samples.npz")
    settings_out = {**previous.get("settings", {}), "steps": args.steps, "seeds": args.seeds,
                    "batch_size": args.batch_size, "eval_samples": EVAL_SAMPLES, "eval_seed": EVAL_SEED,
                    "machine": machine_description(), "tensorflow": tf.__version__,
                    "keras": keras.__version__}
    if args.merge:
        runs, samples = merge_results(runs, samples, args.merge, stem, _run_key, _load_samples)
    if args.report or args.merge:
        settings_out["machine"] = previous["settings"].get("machine", "?")  # a report runs nothing here
        print(markdown(_write(args.out, stem, runs, samples, settings_out), settings_out))
        return
    if args.variants:
        variants = args.variants
    else:
        variants, skipped = toy_variants()
        settings_out["skipped"] = skipped
    settings = run_settings(args.steps, args.batch_size, args.lr, args.lr_decay, args.latent_dim, args.hidden_units,
                            dict(parse_option(o) for o in args.option) or None)
    done = {_run_key(r) for r in runs}
    for variant in variants:
        for mixture in args.mixtures:
            for seed in args.seeds:
                probe = {"label": run_label(variant, settings), "mixture": mixture, "seed": seed,
                         "settings": settings}
                if _run_key(probe) in done:
                    continue
                try:
                    record, points, _ = train_and_score(variant, mixture, seed, settings, not args.no_jit)
                except Exception as error:  # noqa: BLE001 - one failing variant must not end a long benchmark
                    record, points = {**probe, "variant": variant, "error": traceback.format_exc()}, None
                    print(f"{probe['label']} {mixture} seed {seed}: FAILED {type(error).__name__}: {error}", flush=True)
                runs = [r for r in runs if _run_key(r) != _run_key(record)] + [record]
                if points is not None:
                    if seed == min(args.seeds):
                        samples[f"{record['label']}|{mixture}|{seed}"] = points
                    print(f"{record['label']:>28} {mixture:>10} seed {seed}: {record['modes_captured']:2d}/"
                          f"{record['num_modes']} modes, HQ {100 * record['high_quality_fraction']:5.1f}%, "
                          f"rev KL {record['reverse_kl']:.3f}, {record['train_cpu_seconds']:.0f} CPU s, "
                          f"{record['train_wall_seconds']:.0f} s", flush=True)
                _write(args.out, stem, runs, samples, settings_out)  # after every run: resumable, inspectable
    print(markdown(summarise(runs), settings_out))


if __name__ == "__main__":
    main()
