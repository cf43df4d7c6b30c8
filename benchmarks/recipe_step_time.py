"""Cost of one training step of a recipe with and without XLA, interleaved in one run.

Each (variant, data) pair is built once per ``jit_compile`` setting through the catalogue (``zoo.build_run``, the
recipe's own nets, batch, ``steps_per_execution`` and optimizers), warmed up (compilation), then timed in rounds
that alternate the settings, so that load drifts hit both alike. The figure is the median over rounds of the
wall-clock ms per generator step. It decides the families' ``jit_compile`` default (#20: the defaults take the
fastest measured path).

    python benchmarks/recipe_step_time.py --pairs gan:mnist sngan:mnist gan:ring8 --steps 60 --rounds 3

Appends to ``benchmarks/results/recipe_step_time.json`` (every invocation is kept) and writes the newest as
``recipe_step_time.{md,png}``.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

import _common

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
SETTINGS = (False, True)


def _label(jit):
    return "XLA" if jit else "no XLA"


def time_pair(variant, data, steps, rounds, warmup):
    """``{jit: [ms per step of each round]}`` and the recipe family of ``variant`` on ``data``."""
    from tfgan_zoo import zoo

    runs = {jit: zoo.build_run(variant, data, {"jit_compile": jit}, seed=0) for jit in SETTINGS}
    per_execution = runs[False].recipe["steps_per_execution"]
    steps = max(per_execution, steps - steps % per_execution)
    for run in runs.values():  # compilation and the first executions
        run.model.fit(run.dataset, epochs=1, steps_per_epoch=warmup * per_execution, verbose=0)
    times = {jit: [] for jit in SETTINGS}
    for _ in range(rounds):
        for jit, run in runs.items():
            # the steps alone: fit's tf.data tear-down sometimes waits ~1.2 s (see _common.timed_fit)
            times[jit].append(1000.0 * _common.timed_fit(run.model, run.dataset, steps)["step_seconds"] / steps)
    return times, runs[False].recipe


def report(rows, machine, folder):
    lines = ["# One training step of a recipe, with and without XLA", "",
             "Median over interleaved rounds of the wall-clock ms per generator step (critic updates included), each "
             "pair built through the catalogue with its recipe's nets, batch and steps per call; "
             "`python benchmarks/recipe_step_time.py`.", "",
             "| variant | data | family | batch | steps per call | no XLA, ms | XLA, ms | XLA / no XLA | faster |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        off, on = row["ms_per_step"]["no XLA"], row["ms_per_step"]["XLA"]
        lines.append(f"| {row['variant']} | {row['data']} | {row['family']} | {row['batch_size']} | "
                     f"{row['steps_per_execution']} | {off:.2f} | {on:.2f} | {on / off:.2f} | "
                     f"{'XLA' if on < off else 'no XLA'} |")
    lines += ["", f"Machine: {machine['description']} ({machine['lscpu_flags']}); load average at start "
              f"{', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])}; threads: {machine['threads']}."]
    (folder / "recipe_step_time.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(1.6 + 1.4 * len(rows), 3.2))
    for offset, label in ((-0.2, "no XLA"), (0.2, "XLA")):
        axis.bar([i + offset for i in range(len(rows))], [row["ms_per_step"][label] for row in rows], width=0.4,
                 label=label)
    axis.set_xticks(range(len(rows)), [f"{row['variant']}\n{row['data']}" for row in rows])
    axis.set_ylabel("ms per generator step (median)")
    axis.set_yscale("log")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "recipe_step_time.png", dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["gan:mnist", "sngan:mnist", "wgangp:mnist", "gan:ring8"],
                        metavar="VARIANT:DATA")
    parser.add_argument("--steps", type=int, default=60, help="generator steps per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3, help="host calls before timing")
    _common.add_threads_argument(parser)
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    from tfgan_zoo import data as data_lib, zoo

    pairs = []
    for text in args.pairs:
        variant, colon, data = text.partition(":")
        if not colon or not variant or not data:
            parser.error(f"--pairs {text!r}: use VARIANT:DATA, e.g. gan:mnist")
        try:  # a wrong name is a usage error before anything is timed, not a trace from the middle of the run
            zoo.get_variant(variant)
            data_lib.training_options(data)
        except ValueError as error:
            parser.error(f"--pairs {text!r}: {error}")
        pairs.append((variant, data))
    if min(args.steps, args.rounds, args.warmup) < 1:
        parser.error("--steps, --rounds and --warmup must be at least 1.")

    _common.apply_threads(parser, args.threads)
    machine = {**_common.machine_record(), "threads": args.threads or "TensorFlow's default"}
    rows = []
    for variant, data in pairs:
        times, recipe = time_pair(variant, data, args.steps, args.rounds, args.warmup)
        rows.append({"variant": variant, "data": data, "family": recipe["family"], "batch_size": recipe["batch_size"],
                     "steps_per_execution": recipe["steps_per_execution"], "rounds_ms_per_step":
                         {_label(jit): values for jit, values in times.items()},
                     "ms_per_step": {_label(jit): statistics.median(values) for jit, values in times.items()}})
        print(variant, data, {label: round(value, 2) for label, value in rows[-1]["ms_per_step"].items()}, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "recipe_step_time.json"
    previous = _common.load_results(json_path)  # every invocation is kept; the table shows the newest
    previous["runs"].append({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine,
                             "steps": args.steps, "rounds": args.rounds, "rows": rows})
    json_path.write_text(json.dumps(previous, indent=1))
    report(rows, machine, args.out)


if __name__ == "__main__":
    main()
