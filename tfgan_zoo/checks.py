"""Argument checks with one wording: ``name=value must be ...``, then what to do instead.

The leftmost module of the package (it imports only numpy), so that data loaders, layers, networks, models,
callbacks and recipes check integers and numbers the same way and say so in the same words.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_int", "check_non_negative_int", "check_non_negative_number", "check_positive_int",
           "check_positive_number", "is_int"]


def is_int(value) -> bool:
    """True for Python and numpy integers; False for booleans (an ``int`` subclass) and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _fail(error, name, value, requirement, hint):
    raise error(f"{name}={value!r} must be {requirement}." + (f" {hint}" if hint else ""))


def check_int(name, value, minimum=1, hint="", *, maximum=None, requirement=None, error=ValueError) -> int:
    """``int(value)`` when ``value`` is an integer in ``[minimum, maximum]`` (no upper bound when ``maximum`` is
    None); else ``error`` with ``"{name}={value!r} must be an integer >= {minimum}. {hint}"`` (``requirement``
    replaces "an integer >= ..." where the caller words the rule itself)."""
    if not is_int(value) or value < minimum or (maximum is not None and value > maximum):
        if requirement is None:
            requirement = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {maximum}]"
        _fail(error, name, value, requirement, hint)
    return int(value)


def check_positive_int(name, value, hint="", **options) -> int:
    """:func:`check_int` with ``minimum=1``."""
    return check_int(name, value, 1, hint, **options)


def check_non_negative_int(name, value, hint="", **options) -> int:
    """:func:`check_int` with ``minimum=0``."""
    return check_int(name, value, 0, hint, **options)


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_non_negative_number(name, value, hint="", *, error=ValueError):
    """``float(value)`` for a finite real number >= 0, None for None; else ``error`` naming ``name``."""
    if value is None:
        return None
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        _fail(error, name, value, "a finite number >= 0", hint)
    return float(value)


def check_positive_number(name, value, hint="", *, error=ValueError) -> float:
    """``float(value)`` for a finite real number > 0; else ``error`` naming ``name``."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        _fail(error, name, value, "a finite number > 0", hint)
    return float(value)
