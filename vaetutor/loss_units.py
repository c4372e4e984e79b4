"""What a reported loss means: the units people quote, converted to nats per image.

A VAE's loss is quoted in several units. With D pixels per image:

- **nats per image**: the negative ELBO (or -log p(x)) summed over the pixels: the series' unit;
- **mean per pixel**: the same divided by D (what ``keras.losses.binary_crossentropy`` returns
  for the reconstruction term): multiply by D;
- **bits per dimension**: nats per image / (D ln 2), the unit of image-density papers: multiply
  by D ln 2;
- **log-likelihood**: papers print log p(x) (negative, higher is better); a loss is -log p(x).

Conversions are exact only for the same quantity: a per-pixel *reconstruction* loss converts
to a per-image reconstruction loss, not to a negative ELBO (the KL is missing).
"""

from __future__ import annotations

import math

#: the pixels of a 28 x 28 image
MNIST_PIXELS = 784

UNITS = ("nats per image", "mean per pixel", "bits per dimension", "log-likelihood")


def to_nats_per_image(value: float, unit: str, pixels: int = MNIST_PIXELS) -> float:
    """``value`` in ``unit`` (one of :data:`UNITS`) as a loss in nats per image."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {list(UNITS)}")
    if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 1:
        raise ValueError(f"pixels must be a positive integer; got {pixels!r}")
    factor = {"nats per image": 1.0, "mean per pixel": float(pixels),
              "bits per dimension": pixels * math.log(2.0), "log-likelihood": -1.0}[unit]
    return float(value) * factor


def from_nats_per_image(nats: float, unit: str, pixels: int = MNIST_PIXELS) -> float:
    """A loss of ``nats`` per image expressed in ``unit`` (the inverse of
    :func:`to_nats_per_image`)."""
    return float(nats) / to_nats_per_image(1.0, unit, pixels)
