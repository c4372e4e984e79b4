"""One call to make a run repeatable."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and the Keras backend.

    Run it before building a model: Keras draws initial weights and unseeded
    ``SeedGenerator`` states from the backend's global seed. With the same seed, the same code on
    the same machine gives the same numbers.
    """
    import keras

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    keras.utils.set_random_seed(int(seed))
