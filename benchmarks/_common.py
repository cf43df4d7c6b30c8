"""What the benchmark scripts share: their resumable results files, ``--option KEY=JSON``, mean ± std over
seeds, and the labels and fingerprints of recipe rows. The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import it as
``_common``."""
from __future__ import annotations

import json
import os
import pathlib
import platform

import numpy as np


def load_results(json_path: pathlib.Path) -> dict:
    """The results a benchmark wrote earlier to ``json_path`` (``runs``, ``settings`` and whatever else it keeps),
    or empty ones: runs accumulate across invocations, so an interrupted benchmark resumes."""
    if not json_path.exists():
        return {"runs": [], "settings": {}}
    previous = json.loads(json_path.read_text())
    previous.setdefault("runs", [])
    previous.setdefault("settings", {})
    return previous


def merge_results(runs, samples, folder: pathlib.Path, stem: str, run_key, load_samples):
    """``(runs, samples)`` with the runs of ``folder/<stem>.json`` that ``runs`` lacks (by ``run_key``; failed
    ones left out) and the samples of ``folder/<stem>_samples.npz`` (read by ``load_samples``, a path -> dict
    function); on a clash the runs and samples already here win. For a sweep run into another folder."""
    other = load_results(folder / f"{stem}.json")["runs"]
    keys = {run_key(run) for run in runs}
    merged = list(runs) + [run for run in other if run_key(run) not in keys and "error" not in run]
    return merged, {**load_samples(folder / f"{stem}_samples.npz"), **samples}


def parse_option(text: str) -> tuple[str, object]:
    """``KEY=JSON`` of ``--option`` as (key, value); a value that is not JSON is kept as a string
    (``loss=hinge``). Raises SystemExit with the expected form when there is no ``=`` or no key."""
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise SystemExit(f"--option {text!r}: use KEY=JSON, e.g. --option n_critic=2")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def mean_and_std(values) -> dict:
    """``{"mean", "std"}`` (population std) of the finite ``values``; NaN for both when none is finite."""
    values = np.asarray(list(values), dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(finite.mean()), "std": float(finite.std())}


def machine_description() -> str:
    """The machine a benchmark ran on, e.g. ``x86_64, 2 CPU cores, AMD EPYC (family 25 model 1), avx2``: a CPU-time
    budget buys different numbers of steps on different CPUs, so every run records it."""
    fields = {}
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    description = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    if "model name" in fields:
        family, model = fields.get("cpu family", "?"), fields.get("model", "?")
        description += f", {fields['model name']} (family {family} model {model})"
    flags = set(fields.get("flags", "").split())
    vector = [name for name in ("avx512f", "avx512_bf16", "avx2") if name in flags]
    return description + (f", {' '.join(vector)}" if vector else "")


def run_label(variant: str, overrides=None) -> str:
    """Row label of a recipe run: the variant, plus the ``--set`` overrides of its recipe in brackets."""
    if not overrides:
        return variant
    flat = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in sorted(value.items()):
                walk(f"{prefix}{key}.", inner)
        else:
            flat.append(f"{prefix[:-1]}={json.dumps(value)}")

    walk("", overrides)
    return f"{variant} [{', '.join(flat)}]"


def recipe_id(recipe: dict) -> str:
    """A short fingerprint of what a resolved recipe trains (:func:`tfgan_zoo.recipes.training_view`: no notes,
    no later field at its 'as before' value): runs of a recipe that has changed since are kept, but no longer stand
    for the recipe's row."""
    import hashlib

    from tfgan_zoo.recipes import training_view

    text = json.dumps(training_view(recipe), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]
