"""Morphing: decode straight lines between the codes of two images."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def interpolate(z_start, z_end, steps=10):
    """``steps`` codes evenly spaced on the segment from ``z_start`` to ``z_end`` (both ends
    included), shape ``(steps, d)``."""
    z_start, z_end = np.asarray(z_start, "float32"), np.asarray(z_end, "float32")
    if z_start.shape != z_end.shape or z_start.ndim != 1:
        raise ValueError(f"z_start and z_end must be codes of one shape (d,); got "
                         f"{z_start.shape} and {z_end.shape}")
    if steps < 2:
        raise ValueError(f"steps must be at least 2; got {steps}")
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    return (1 - t) * z_start + t * z_end


def morph_images(model, x_start, x_end, steps=10):
    """Decode the interpolation between the codes of two images: ``(steps, 28, 28)``.

    ``model`` is any of the series' autoencoders (it needs ``encode`` and ``decode``).
    """
    codes = model.encode(np.stack([x_start, x_end]))
    return model.decode(interpolate(codes[0], codes[1], steps)).reshape(steps, 28, 28)


def plot_morph_strips(models, pairs, steps=10, title=None):
    """One row per (model, pair of images): the images decoded along the line between codes.

    ``models``: ``{name: model}``; ``pairs``: list of ``(x_start, x_end)`` images. The rows of
    different models for the same pair are adjacent, so that they compare directly.
    """
    rows = [(name, i, morph_images(model, a, b, steps))
            for i, (a, b) in enumerate(pairs) for name, model in models.items()]
    fig, axes = plt.subplots(len(rows), steps, figsize=(steps * 0.9, len(rows) * 0.95 + 0.4),
                             squeeze=False)
    for r, (name, i, images) in enumerate(rows):
        for s in range(steps):
            axes[r, s].imshow(images[s], cmap="gray", vmin=0, vmax=1)
            axes[r, s].set_axis_off()
        axes[r, 0].text(-4, 14, f"{name}, pair {i + 1}", ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.18, wspace=0.05, hspace=0.1)
    return fig
