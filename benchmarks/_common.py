"""What the benchmark scripts share: their resumable results files, ``--option KEY=JSON`` and mean ± std over
seeds. The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import it as
``_common``."""
from __future__ import annotations

import json
import pathlib

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
