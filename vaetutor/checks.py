"""Argument checks shared by the package: each says what was wrong and what was expected."""

from __future__ import annotations

import numbers

import numpy as np


def positive_int(value, name: str, hint: str = "") -> int:
    """``value`` as an int if it is an integer >= 1 (not a bool), else a ValueError naming
    ``name`` (``hint`` is added after "an integer >= 1", e.g. " (the number of samples)")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1{hint}; got {value!r}")
    return int(value)


def non_negative_int(value, name: str) -> int:
    """``value`` as an int if it is an integer >= 0 (a seed, say), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    return int(value)


def non_negative_number(value, name: str) -> float:
    """``value`` as a float if it is a finite number >= 0, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating)):
        raise ValueError(f"{name} must be a number >= 0 (for example 1.0); "
                         f"got {value!r} of type {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)
