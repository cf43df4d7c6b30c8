"""Every variant of the zoo on the 5,000 embedded real MNIST digits, under one fixed CPU budget, scored offline.

Every variant of :func:`tfgan_zoo.zoo.available_variants` trains with its class's paper defaults (optimizers,
critic updates, loss, penalty) on :func:`tfgan_zoo.data.mnist` (5,000 real digits in [-1, 1], batch 64) with the
same DCGAN-28 networks (:func:`tfgan_zoo.nets.dcgan_generator` / ``dcgan_discriminator``, ``base_filters=32``,
latent 32) until it has used a fixed budget of **process CPU time** (``time.process_time()``, all threads of
the process, so other processes on the machine do not change it; the first, compiling step is not counted).
Samples come from the raw generator: a generator EMA (``--ema-decay 0.995``, from step 200; the zoo's
``GAN(ema_decay=...)``) made the plain GAN worse at this budget (it lags a generator that is still improving
fast); with ``--ema-decay`` the raw generator's FID is recorded next to the EMA's. Instance noise, where the variant has it, is annealed
linearly to 0 over the first 1,000 generator steps.

Scores, with the shipped offline MNIST classifier (:func:`tfgan_zoo.metrics.features.mnist_extractor`): the
real digits are split once (seeded) into two halves of 2,500; half A against half B is the real-vs-real baseline,
and each generator's 2,500 samples are scored against half B, so every FID/KID has the same sample sizes as the
baseline. Classifier-FID, KID, IS, precision/recall (k=3) and digit-class coverage: the classifier's predicted
classes of the 2,500 samples, their largest deviation from uniform ``max_c |f_c - 0.1|`` and the number of
classes with at least 1 % of the samples. Targets (issue #12): all 10 digits within ±3 % of uniform, and
classifier-FID within 2x the real-vs-real baseline.

Each variant's sampling generator (the EMA one with ``--ema-decay``) is shipped as a SavedModel under ``tfgan_zoo/pretrained/<variant>_mnist/``
(:func:`tfgan_zoo.pretrained.save_generator`) and reloaded from disk to record its FID under
:data:`tfgan_zoo.pretrained.FID_PROTOCOL` in ``tfgan_zoo/pretrained/manifest.json``.

Outputs (``--out``, default ``benchmarks/results``): ``zoo_mnist.json`` (every run, settings, baseline,
summary), ``zoo_mnist.md`` (the table), ``zoo_mnist.png`` (a grid of 64 samples per variant, real digits first)
and ``zoo_mnist_samples.npz`` (those samples). Runs accumulate: a run already in the JSON (same label, seed) is
skipped, so an interrupted benchmark resumes, and tuned settings add labelled rows next to the defaults.
``--workers N`` trains N runs at a time, each in its own single-threaded process (on 2 cores, two 1-thread runs
train more steps per CPU second than one 2-thread run); the parent process ships and writes the results.

Usage::

    python benchmarks/zoo_mnist.py --workers 2                     # every variant, 10 CPU-min each, seed 0
    python benchmarks/zoo_mnist.py --workers 2 --seeds 0 1         # the issue's 2 seeds (~6 CPU-hours)
    python benchmarks/zoo_mnist.py --variants gan --cpu-minutes 3  # a shorter run, labelled cpu_minutes=3
    python benchmarks/zoo_mnist.py --variants gan wgangp --lr 5e-4 # a tuned row, labelled, not shipped
    python benchmarks/zoo_mnist.py --quick                         # smoke run: 2 variants, 0.1 CPU-min, *_quick
    python benchmarks/zoo_mnist.py --report                        # rewrite table and figure from the JSON
    python benchmarks/zoo_mnist.py --merge /tmp/sweep              # add another folder's runs (a parallel sweep)
    python benchmarks/zoo_mnist.py --refresh-manifest              # re-measure the shipped generators' FIDs
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import shutil
import sys
import tempfile
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_zoo import data, pretrained, recipes, zoo  # noqa: E402
from tfgan_zoo.metrics import Evaluator  # noqa: E402
from tfgan_zoo.metrics.features import mnist_classifier  # noqa: E402
from tfgan_zoo.callbacks import TimeBudget  # noqa: E402
from _common import load_results, machine_description, merge_results, mean_and_std, parse_option  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = recipes.FAMILIES["28px"]["latent_dim"]  # the recipes' nets, for the report
BASE_FILTERS = recipes.FAMILIES["28px"]["networks"]["generator"]["base_filters"]
DEFAULT_BATCH = 64
DEFAULT_CPU_MINUTES = 10.0  # the 'about 10 minutes' per variant
EMA_DECAY, EMA_START = 0.995, 200  # --ema-decay: a ~200-step average suits runs of a few thousand steps
INSTANCE_NOISE_STEPS = 1000
EVAL_SAMPLES = 2500  # half of the 5,000 digits: the real-vs-real baseline has the same sample sizes
EVAL_SEED = 1234
SPLIT_SEED = 0
GRID_SAMPLES = 64
TARGET_CLASS_DEVIATION = 0.03
TARGET_FID_RATIO = 2.0
PRESENT_FRACTION = 0.01
# Variants first that the rest are read against.
ORDER = ("gan", "wgangp", "sngan", "sagan", "lsgan", "hinge", "r1", "dragan", "ragan", "ralsgan", "minimax", "pacgan",
         "instance_noise", "gngan", "realness", "sphere", "wgan", "unrolled")
METRICS = ("fid", "kid", "is", "precision_recall")


def real_halves():
    """The 5,000 real digits split once (seeded permutation) into halves A and B of 2,500."""
    images, _ = data.mnist_arrays()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    half = len(images) // 2
    return images[order[:half]], images[order[half:2 * half]]


def class_coverage(images, classifier):
    """Predicted digit-class frequencies of ``images`` and their distance from uniform."""
    probabilities = classifier.predict(images, batch_size=500, verbose=0)
    frequencies = np.bincount(np.argmax(probabilities, axis=1), minlength=10) / len(images)
    return {"class_frequencies": [float(f) for f in frequencies],
            "max_class_deviation": float(np.max(np.abs(frequencies - 0.1))),
            "classes_present": int(np.sum(frequencies >= PRESENT_FRACTION))}


def run_label(variant, settings):
    """Row label: the variant, plus every setting that differs from the benchmark defaults."""
    defaults = {"batch_size": DEFAULT_BATCH, "cpu_minutes": DEFAULT_CPU_MINUTES, "lr": None, "ema_decay": None,
                "model_options": None}
    changed = [f"{k}={v}" for k, v in sorted(settings.items()) if k in defaults and defaults[k] != v]
    return variant + (f" [{', '.join(changed)}]" if changed else "")


def recipe_overrides(settings, jit_compile):
    """The benchmark's settings as changes to the variant's ``28px`` recipe (:mod:`tfgan_zoo.recipes`): the
    learning rate of both optimizers, the generator EMA, extra model options, the batch size and XLA."""
    model = dict(settings["model_options"] or {})
    if settings["ema_decay"]:
        model.update(ema_decay=settings["ema_decay"], ema_start=EMA_START)
    steps = 100 * 100_000  # the CPU budget stops a run, not its steps
    overrides = {"model": model, "batch_size": settings["batch_size"], "jit_compile": bool(jit_compile),
                 "steps_per_epoch": 100, "steps": steps, "instance_noise_anneal": INSTANCE_NOISE_STEPS / steps}
    if settings["lr"] is not None:
        rate = {"config": {"learning_rate": settings["lr"]}}
        overrides.update(d_optimizer=rate, g_optimizer=rate)
    return overrides


def build_run(variant, seed, settings, jit_compile=True):
    """The run of ``variant``'s 28px recipe on the 5,000 digits with the benchmark's settings
    (:func:`tfgan_zoo.zoo.build_run`, as ``tfgan-zoo train VARIANT --data mnist`` builds it)."""
    keras.backend.clear_session()
    return zoo.build_run(variant, "mnist", recipe_overrides(settings, jit_compile), seed=seed)


def train(variant, seed, settings, jit_compile):
    """Trains one variant for the CPU budget; returns (model, record of the training)."""
    run = build_run(variant, seed, settings, jit_compile)
    model = run.model
    # process CPU time is not stretched by other jobs' load; tracing and XLA compilation are not charged
    budget = TimeBudget(settings["cpu_minutes"], clock="process", exclude_first_step=True)
    wall, cpu = time.perf_counter(), time.process_time()
    history = run.fit(callbacks=[budget], verbose=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    losses = {k: float(v[-1]) for k, v in history.history.items()}
    if not all(np.isfinite(v) for v in losses.values()):
        raise FloatingPointError(f"non-finite loss at the end of training: {losses}")
    return model, {"generator_steps": int(model.generator_steps.numpy()), "n_critic": model.n_critic,
                   "train_cpu_seconds": cpu, "train_wall_seconds": wall, "recipe": run.recipe,
                   "compile_cpu_seconds": budget.first_step_seconds, "jit_compile": jit_compile,
                   "final_losses": losses}


_SCORING = {}  # per process: the evaluator (real half B's features) and the classifier, built once


def _setup_scoring(threads=None):
    """Builds this process's evaluator and classifier; ``threads`` limits TensorFlow's thread pools (workers)."""
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    _, half_b = real_halves()
    _SCORING["classifier"] = mnist_classifier()
    _SCORING["evaluator"] = Evaluator(half_b, METRICS, EVAL_SAMPLES, "mnist", seed=EVAL_SEED)


def run_one(variant, seed, run_settings, jit_compile, stage_dir=None):
    """Trains and scores one run; returns (record, grid samples). With ``stage_dir`` the sampling generator is
    also written there (a SavedModel) for :func:`ship`. Failures are returned as a record with ``error``."""
    if not _SCORING:
        _setup_scoring()
    label = run_label(variant, run_settings)
    probe = {"label": label, "variant": variant, "seed": seed, "settings": run_settings}
    try:
        try:
            model, record = train(variant, seed, run_settings, jit_compile)
        except Exception as error:  # noqa: BLE001 - some steps may not compile with XLA; retry without
            if not jit_compile or isinstance(error, FloatingPointError):  # divergence is not XLA's doing
                raise
            print(f"{label} seed {seed}: XLA failed ({type(error).__name__}), retrying without", flush=True)
            model, record = train(variant, seed, run_settings, False)
        record = {**probe, **record, "tf_threads": tf.config.threading.get_intra_op_parallelism_threads() or None,
                  "machine": machine_description()}
        images = model.generate(EVAL_SAMPLES, seed=EVAL_SEED)
        record.update(score(images, _SCORING["evaluator"], _SCORING["classifier"]))
        if model.ema_generator is not None:
            raw = model.generator.predict(
                keras.random.normal((EVAL_SAMPLES, model.latent_dim), seed=EVAL_SEED), verbose=0)
            record["fid_no_ema"] = _SCORING["evaluator"].score(raw)["fid"]
        if stage_dir is not None:
            record["staged"] = str(pretrained.save_generator(
                model.sampling_generator, pathlib.Path(stage_dir) / f"{variant}_{seed}", model.latent_dim))
        return record, images[:GRID_SAMPLES]
    except Exception as error:  # noqa: BLE001 - one failing variant must not end a long benchmark
        print(f"{label} seed {seed}: FAILED {type(error).__name__}: {error}", flush=True)
        return {**probe, "error": traceback.format_exc()}, None


def score(samples, evaluator, classifier):
    """Every metric of ``samples`` against the evaluator's real half, plus class coverage."""
    result = evaluator.score(samples)
    result.update(class_coverage(samples, classifier))
    return {k: v for k, v in result.items() if k not in ("num_real", "extractor")}


def ship(staged, variant, record, settings, out_dir=pretrained.PRETRAINED_DIR, evaluator=None):
    """Ships the SavedModel written by :func:`run_one` as ``out_dir/<variant>_mnist``
    (:func:`tfgan_zoo.pretrained.install_generator`), with its FID re-measured from disk under
    :data:`tfgan_zoo.pretrained.FID_PROTOCOL`."""
    name = f"{variant}_mnist"
    reloaded = pretrained.PretrainedGenerator(name, str(staged), {})
    entry = {
        "variant": variant, "data": "mnist", "latent_dim": LATENT_DIM, "image_shape": list(IMAGE_SHAPE),
        "networks": f"DCGAN-28, base_filters={BASE_FILTERS}", "ema_decay": settings["ema_decay"],
        "lr": settings["lr"], "model_options": settings["model_options"], "seed": record["seed"],
        "cpu_minutes": settings["cpu_minutes"], "generator_steps": record["generator_steps"],
        "fid": pretrained.fid_at_protocol(reloaded, evaluator),
        "benchmark": {k: record[k] for k in ("fid", "kid", "is", "precision", "recall", "max_class_deviation",
                                             "classes_present")},
    }
    return pretrained.install_generator(staged, name, entry, out_dir)


def refresh_manifest(out_dir=pretrained.PRETRAINED_DIR):
    """Re-measures the recorded FID of every shipped generator under the current ``FID_PROTOCOL``."""
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["fid_protocol"] = pretrained.FID_PROTOCOL
    evaluator = pretrained.protocol_evaluator()
    for name, entry in manifest["generators"].items():
        entry["fid"] = pretrained.fid_at_protocol(pretrained.PretrainedGenerator(name, str(out_dir / name), entry),
                                                  evaluator)
        print(f"{name}: FID {entry['fid']:.2f} ({pretrained.FID_PROTOCOL['num_samples']} samples)", flush=True)
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def meets_targets(result, baseline_fid):
    return (result["classes_present"] == 10 and result["max_class_deviation"] <= TARGET_CLASS_DEVIATION
            and result["fid"] <= TARGET_FID_RATIO * baseline_fid)


SUMMARY_KEYS = ("generator_steps", "fid", "kid", "is", "precision", "recall", "max_class_deviation")


def _order_key(row):
    """Rows at the paper defaults first, in ORDER; then the labelled (tuned or shorter) rows."""
    rank = {name: i for i, name in enumerate(ORDER)}
    return row["label"] != row["variant"], rank.get(row["variant"], len(ORDER)), row["label"]


def summarise(runs, baseline_fid):
    """Mean and std over seeds of every label's scores (failed runs left out), in :func:`_order_key` order;
    ``classes_present_min`` is the fewest classes any seed produced, ``seeds_meeting_targets`` how many seeds met
    both targets (:func:`meets_targets`)."""
    groups = {}
    for run in runs:
        if "error" not in run:
            groups.setdefault(run["label"], []).append(run)
    rows = []
    for label, group in groups.items():
        group = sorted(group, key=lambda r: r["seed"])
        row = {"label": label, "variant": group[0]["variant"], "seeds": [r["seed"] for r in group],
               "generator_steps_by_seed": [r["generator_steps"] for r in group]}
        row.update({key: mean_and_std(r[key] for r in group) for key in SUMMARY_KEYS})
        row["classes_present_min"] = min(r["classes_present"] for r in group)
        row["seeds_meeting_targets"] = sum(meets_targets(r, baseline_fid) for r in group)
        rows.append(row)
    return sorted(rows, key=_order_key)


def _mean_std_cell(stat, digits=2):
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def summary_table(rows):
    """Markdown lines of the mean-over-seeds table (one row per label of :func:`summarise`); generator steps per
    seed, since a CPU budget buys different numbers of them on different machines."""
    lines = ["| variant | seeds | gen. steps by seed | FID | KID | IS | precision | recall | max \\|f−0.1\\| "
             "| classes (fewest) | seeds meeting target |", "|" + "---|" * 11]
    for row in rows:
        steps = " / ".join(f"{n:,}" for n in row["generator_steps_by_seed"])
        lines.append(
            f"| {row['label']} | {len(row['seeds'])} | {steps} | "
            f"{_mean_std_cell(row['fid'])} | {_mean_std_cell(row['kid'])} | {_mean_std_cell(row['is'])} | "
            f"{_mean_std_cell(row['precision'], 3)} | {_mean_std_cell(row['recall'], 3)} | "
            f"{_mean_std_cell(row['max_class_deviation'], 3)} | {row['classes_present_min']} | "
            f"{row['seeds_meeting_targets']}/{len(row['seeds'])} |")
    return lines


def markdown(runs, baseline, settings):
    """The results: the paper-default rows' mean ± std over seeds (:func:`summarise`), then every run (one row per
    run and seed, in :func:`_order_key` order), the real-vs-real baseline first."""
    base_fid = baseline["fid"]
    seeds = sorted({run["seed"] for run in runs if run["label"] == run["variant"]})
    seeds_note = (f", seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
                  + ("" if len(seeds) > 1 else " only: the issue asks for 2 seeds, which did not fit this session's "
                                                "time on 2 CPU cores (18 variants × 10 CPU-min is 3 CPU-hours a seed)")
                  if seeds else "")
    lines = [
        f"# The zoo on real MNIST: {DEFAULT_CPU_MINUTES:g} CPU-min per variant",
        "",
        f"Every variant with its paper defaults (optimizers, n_critic, loss, penalty) and the same DCGAN-28 nets "
        f"(`base_filters={BASE_FILTERS}`, latent {LATENT_DIM}, batch {settings['batch_size']}), trained on the 5,000 "
        f"embedded MNIST digits until the process had used **{DEFAULT_CPU_MINUTES:g} minutes of CPU time** after "
        f"its first (compiling) step{seeds_note}. Rows labelled `cpu_minutes=...` are earlier, shorter (or longer) "
        "runs with the same settings otherwise: read together they show how fast each variant learns digits. "
        "Variants with 5 critic updates per generator step get about 5× fewer generator steps in the same budget. "
        "Samples come from the raw "
        f"generator; rows with `ema_decay` sample from a generator EMA (from step {EMA_START}) and *FID (no EMA)* "
        "is their raw generator.",
        "",
        f"Scores with the shipped offline MNIST classifier: {EVAL_SAMPLES:,} generated samples (seed {EVAL_SEED}) "
        f"against real half B ({EVAL_SAMPLES:,} digits); the baseline row is real half A against half B. FID and "
        "KID: classifier features (128-d); IS: its 10-way softmax; P/R: k-NN precision/recall (k=3); "
        "max |f−0.1|: largest deviation of the predicted digit-class frequencies from uniform; classes: digits "
        f"with ≥ {100 * PRESENT_FRACTION:g} % of the samples. **Target**: all 10 digits within ±"
        f"{100 * TARGET_CLASS_DEVIATION:g} % of uniform and FID ≤ {TARGET_FID_RATIO:g}× the baseline "
        f"(≤ {TARGET_FID_RATIO * base_fid:.2f}).",
        "",
    ]
    defaults = [row for row in summarise(runs, base_fid) if row["label"] == row["variant"]]
    if defaults:
        lines += [f"## Paper defaults, {DEFAULT_CPU_MINUTES:g} CPU-min: mean ± std over seeds", "",
                  *summary_table(defaults), "", "## Every run", ""]
    lines += [
        "| variant | seed | gen. steps | CPU min | FID | FID (no EMA) | KID | IS | precision | recall "
        "| max \\|f−0.1\\| | classes | target |",
        "|" + "---|" * 13,
        f"| *real half A vs half B* | — | — | — | {base_fid:.2f} | — | {baseline['kid']:.3g} | "
        f"{baseline['is']:.2f} | {baseline['precision']:.3f} | {baseline['recall']:.3f} | "
        f"{baseline['max_class_deviation']:.3f} | {baseline['classes_present']} | — |",
    ]
    for run in sorted(runs, key=lambda r: (*_order_key(r), r["seed"])):
        if "error" in run:
            lines.append(f"| {run['label']} | {run['seed']} | failed: {run['error'].strip().splitlines()[-1][:80]} |"
                         + " |" * 10)
            continue
        live = run.get("fid_no_ema")
        lines.append(
            f"| {run['label']} | {run['seed']} | {run['generator_steps']:,} | {run['train_cpu_seconds'] / 60:.1f} | "
            f"{run['fid']:.2f} | {'—' if live is None else f'{live:.2f}'} | {run['kid']:.3g} | "
            f"{run['is']:.2f} | {run['precision']:.3f} | {run['recall']:.3f} | {run['max_class_deviation']:.3f} | "
            f"{run['classes_present']} | {'yes' if meets_targets(run, base_fid) else 'no'} |")
    lines += ["", f"CPU min: process CPU time of training, the compiling first step included (the budget excludes "
              f"it). A CPU-time budget buys a different number of steps on another CPU (compare *gen. steps*): each "
              f"run records its machine in the JSON (the runs without one predate that field). Last machine: "
              f"{settings['machine']}; TensorFlow {settings['tensorflow']}, Keras {settings['keras']}. "
              "Regenerate: `python benchmarks/zoo_mnist.py` (resumes; `--report` redraws from the JSON)."]
    return "\n".join(lines) + "\n"


def plot(samples, runs, path):
    """One 8×8 grid of samples per variant at the default settings (first seed), the real digits first; every
    labelled run when no run has the default settings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfgan_zoo.visualization import image_grid

    panels = [("real MNIST (half A)", samples.get("real"))]
    seen = set()
    if any(run["label"] == run["variant"] and "error" not in run for run in runs):
        runs = [run for run in runs if run["label"] == run["variant"]]
    for run in sorted(runs, key=lambda r: (*_order_key(r), r["seed"])):
        key = f"{run['label']}|{run['seed']}"
        if "error" in run or run["label"] in seen or key not in samples:
            continue
        seen.add(run["label"])
        panels.append((f"{run['label']}\nFID {run['fid']:.1f}, {run['classes_present']} classes", samples[key]))
    columns = min(6, len(panels))
    rows = int(np.ceil(len(panels) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.15 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (title, images) in zip(axes.ravel(), panels):
        if images is not None:
            ax.imshow(image_grid(images[:GRID_SAMPLES])[..., 0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=6)
    fig.tight_layout()
    import io

    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=80)
    plt.close(fig)
    Image.open(buffer).convert("L").save(path, optimize=True)  # grey, 8-bit: a fraction of matplotlib's RGBA


def _to_uint8(images):
    return np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


def _load_samples(path):
    """The grid samples saved by `_write` (uint8), back in [-1, 1]."""
    if not path.exists():
        return {}
    return {k: v.astype(np.float32) / 127.5 - 1.0 if v.dtype == np.uint8 else v for k, v in np.load(path).items()}


def _run_key(record):
    return json.dumps([record["label"], record["seed"]])  # the label names every setting


def _write(out, stem, runs, baseline, samples, settings):
    (out / f"{stem}.json").write_text(json.dumps({"settings": settings, "baseline": baseline, "runs": runs,
                                                  "summary": summarise(runs, baseline["fid"])}, indent=1))
    (out / f"{stem}.md").write_text(markdown(runs, baseline, settings))
    np.savez_compressed(out / f"{stem}_samples.npz", **{k: _to_uint8(v) for k, v in samples.items()})
    plot(samples, runs, out / f"{stem}.png")


def _check_args(parser, args):
    if not args.cpu_minutes > 0:
        parser.error(f"--cpu-minutes={args.cpu_minutes} must be > 0 (CPU minutes of training per run, e.g. 3).")
    if args.workers < 1:
        parser.error(f"--workers={args.workers} must be >= 1 (e.g. the number of CPU cores).")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads={args.threads} must be >= 1, or leave it out.")
    if args.batch_size < 2:
        parser.error(f"--batch-size={args.batch_size} must be >= 2 (e.g. 64).")
    if args.lr is not None and not args.lr > 0:
        parser.error(f"--lr={args.lr} must be > 0, or leave it out for each variant's paper learning rate.")
    if args.ema_decay is not None and not 0 <= args.ema_decay < 1:
        parser.error(f"--ema-decay={args.ema_decay} must be in [0, 1), e.g. {EMA_DECAY}; leave it out for no EMA.")
    unknown = [v for v in args.variants or () if v not in zoo.available_variants()]
    if unknown:
        parser.error(f"--variants {' '.join(unknown)}: not in the zoo; use names from {zoo.available_variants()}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", help="zoo variant names (default: all, in a fixed order)")
    parser.add_argument("--cpu-minutes", type=float, default=DEFAULT_CPU_MINUTES,
                        help=f"process CPU minutes of training per run ({DEFAULT_CPU_MINUTES:g})")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--lr", type=float, help="learning rate of both optimizers (default: the variant's)")
    parser.add_argument("--ema-decay", type=float, default=None,
                        help=f"sample from a generator EMA with this decay, from step {EMA_START} (default: off)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=JSON",
                        help="extra model constructor option, e.g. --option n_critic=2 (repeatable)")
    parser.add_argument("--no-jit", action="store_true", help="train without XLA")
    parser.add_argument("--workers", type=int, default=1,
                        help="runs trained at the same time, each in its own process (default 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads per worker process (default: 1 with --workers > 1, else all)")
    parser.add_argument("--no-ship", action="store_true", help="do not write tfgan_zoo/pretrained/")
    parser.add_argument("--ship-tuned", action="store_true",
                        help="ship runs with non-default settings too (default: only the variants' paper defaults)")
    parser.add_argument("--quick", action="store_true", help="smoke run: gan and lsgan, 0.1 CPU-min, *_quick, "
                                                              "not shipped")
    parser.add_argument("--report", action="store_true", help="only rewrite the table and figure from the JSON")
    parser.add_argument("--merge", type=pathlib.Path, metavar="DIR",
                        help="add the runs (and samples) of another results folder, then rewrite the report")
    parser.add_argument("--refresh-manifest", action="store_true",
                        help="only re-measure the recorded FID of the shipped generators (tfgan_zoo/pretrained)")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.refresh_manifest:
        refresh_manifest()
        return
    if args.quick:
        args.cpu_minutes, args.seeds, args.variants = 0.1, args.seeds[:1], args.variants or ["gan", "lsgan"]
        args.no_ship = True
    _check_args(parser, args)
    if args.threads is None and args.workers > 1:
        args.threads = 1
    stem = "zoo_mnist_quick" if args.quick else "zoo_mnist"
    args.out.mkdir(parents=True, exist_ok=True)
    previous = load_results(args.out / f"{stem}.json")
    runs = previous["runs"]
    samples_path = args.out / f"{stem}_samples.npz"
    samples = _load_samples(samples_path)
    settings_out = {**previous.get("settings", {}), "cpu_minutes": args.cpu_minutes, "seeds": args.seeds,
                    "batch_size": args.batch_size, "latent_dim": LATENT_DIM, "base_filters": BASE_FILTERS,
                    "eval_samples": EVAL_SAMPLES, "eval_seed": EVAL_SEED, "split_seed": SPLIT_SEED,
                    "machine": machine_description(), "tensorflow": tf.__version__,
                    "keras": keras.__version__}
    if args.merge:
        runs, samples = merge_results(runs, samples, args.merge, stem, _run_key, _load_samples)
    if args.report or args.merge:
        # a report trains nothing: keep the settings the runs were made with, and name every seed they hold
        settings_out = {**settings_out, **previous.get("settings", {})}
        settings_out["seeds"] = sorted({run["seed"] for run in runs})
        _write(args.out, stem, runs, previous["baseline"], samples, settings_out)
        print(markdown(runs, previous["baseline"], settings_out))
        return
    half_a, _ = real_halves()
    _setup_scoring(args.threads if args.workers == 1 else None)  # with one worker, this process trains
    baseline = previous.get("baseline") or score(half_a, _SCORING["evaluator"], _SCORING["classifier"])
    samples["real"] = half_a[:GRID_SAMPLES]
    print(f"real vs real: FID {baseline['fid']:.2f}, KID {baseline['kid']:.5f}, IS {baseline['is']:.2f}", flush=True)
    run_settings = {"cpu_minutes": args.cpu_minutes, "batch_size": args.batch_size, "lr": args.lr,
                    "ema_decay": args.ema_decay,
                    "model_options": dict(parse_option(o) for o in args.option) or None}
    variants = args.variants or sorted(zoo.available_variants(), key=lambda v: (ORDER + (v,)).index(v))
    done = {_run_key(r) for r in runs if "error" not in r}
    default_settings = run_label("gan", {**run_settings, "cpu_minutes": DEFAULT_CPU_MINUTES}) == "gan"
    to_ship = not args.no_ship and (default_settings or args.ship_tuned)
    tasks = [(variant, seed) for variant in variants for seed in args.seeds
             if _run_key({"label": run_label(variant, run_settings), "seed": seed}) not in done]
    stage_dir = tempfile.mkdtemp(prefix="zoo_mnist_stage_")
    protocol = pretrained.protocol_evaluator() if to_ship else None

    def arguments(variant, seed):
        ship_this = to_ship and seed == min(args.seeds)
        return variant, seed, run_settings, not args.no_jit, stage_dir if ship_this else None

    if args.workers == 1:
        results = (run_one(*arguments(variant, seed)) for variant, seed in tasks)
    else:  # single-threaded workers: more training per CPU second on small convolutions than one 2-thread run
        pool = concurrent.futures.ProcessPoolExecutor(
            args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_setup_scoring,
            initargs=(args.threads,))
        futures = [pool.submit(run_one, *arguments(variant, seed)) for variant, seed in tasks]
        results = (future.result() for future in concurrent.futures.as_completed(futures))
    for record, images in results:
        staged = record.pop("staged", None)
        if "error" not in record:
            samples[f"{record['label']}|{record['seed']}"] = images
            if staged:
                record["shipped"] = ship(pathlib.Path(staged), record["variant"], record, run_settings,
                                         evaluator=protocol)
            print(f"{record['label']:>16} seed {record['seed']}: {record['generator_steps']:5d} steps, FID "
                  f"{record['fid']:6.2f} (no EMA {record.get('fid_no_ema', float('nan')):6.2f}), IS {record['is']:.2f}, "
                  f"classes {record['classes_present']}, max dev {record['max_class_deviation']:.3f}, "
                  f"{record['train_cpu_seconds']:.0f} CPU s, {record['train_wall_seconds']:.0f} s", flush=True)
        runs = [r for r in runs if _run_key(r) != _run_key(record)] + [record]
        _write(args.out, stem, runs, baseline, samples, settings_out)  # after every run: resumable
    shutil.rmtree(stage_dir, ignore_errors=True)
    print(markdown(runs, baseline, settings_out))


if __name__ == "__main__":
    sys.exit(main())
