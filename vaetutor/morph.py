"""Morphing: decode straight lines between the codes of two images."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .checks import positive_int


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
    """One row per (model, pair of images): the two original images at the ends, and between
    them the images decoded along the line between their codes.

    ``models``: ``{name: model}``; ``pairs``: list of ``(x_start, x_end)`` images. Each row has
    ``steps + 2`` columns: the original start image (framed), the ``steps`` decoded images
    (the first and last are the model's reconstructions of the two originals), and the
    original end image (framed). The rows of different models for the same pair are adjacent,
    so that they compare directly, and a model that reconstructs an original badly shows it
    next to that original.
    """
    rows = [(name, i, a, b, morph_images(model, a, b, steps))
            for i, (a, b) in enumerate(pairs) for name, model in models.items()]
    columns = steps + 2
    fig, axes = plt.subplots(len(rows), columns,
                             figsize=(columns * 0.9, len(rows) * 0.95 + 0.7), squeeze=False)
    for r, (name, i, start, end, images) in enumerate(rows):
        shown = [np.reshape(start, (28, 28)), *images, np.reshape(end, (28, 28))]
        for c, image in enumerate(shown):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            original = c in (0, columns - 1)
            for spine in ax.spines.values():
                spine.set_visible(original)
                spine.set_color("tab:orange")
                spine.set_linewidth(2)
        axes[r, 0].text(-4, 14, f"{name}, pair {i + 1}", ha="right", va="center", fontsize=9)
    axes[0, 0].set_title("original", fontsize=8)
    axes[0, columns - 1].set_title("original", fontsize=8)
    axes[0, 1].set_title("decoded", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.16, wspace=0.08, hspace=0.1)
    return fig


def morph_smoothness(model, x_start, x_end, steps=10, batch_size=1000):
    """How smoothly the decoded morphs of many pairs of images change: two figures per pair.

    For pair i the ``steps`` images f_0 .. f_{S-1} decoded along the line between the codes of
    ``x_start[i]`` and ``x_end[i]`` (as :func:`morph_images`), flattened to pixel vectors, and
    the Euclidean lengths of the steps between consecutive images, s_j = ||f_{j+1} - f_j||:

    - ``path_ratio`` = sum_j s_j / ||f_{S-1} - f_0||: 1 when the images move in a straight line
      in pixel space from one end to the other (a cross-fade, or any monotone change of the same
      pixels); larger when the morph detours through other items on the way;
    - ``largest_step`` = max_j s_j / sum_j s_j: 1/(S-1) when every step changes the image
      equally, up to 1 when all the change happens in one jump.

    Args: ``x_start``, ``x_end``: ``(pairs, ...)`` images in the model's layout. Returns
    ``{"path_ratio": (pairs,), "largest_step": (pairs,)}``, float64. Pairs whose two ends
    decode to the same image (no change to measure) are an error.
    """
    x_start, x_end = np.asarray(x_start, "float32"), np.asarray(x_end, "float32")
    if x_start.shape != x_end.shape or x_start.ndim < 2:
        raise ValueError(f"x_start and x_end must be batches of images of one shape (pairs, ...);"
                         f" got {x_start.shape} and {x_end.shape}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 3:
        raise ValueError(f"steps must be an integer >= 3 (two ends and a step between); "
                         f"got {steps!r}")
    pairs = len(x_start)
    z_start, z_end = model.encode(x_start, batch_size), model.encode(x_end, batch_size)
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[None, :, None]
    codes = ((1 - t) * z_start[:, None, :] + t * z_end[:, None, :]).reshape(pairs * steps, -1)
    frames = model.decode(codes, batch_size).reshape(pairs, steps, -1).astype("float64")
    step_lengths = np.linalg.norm(np.diff(frames, axis=1), axis=2)       # (pairs, steps - 1)
    path = step_lengths.sum(axis=1)
    straight = np.linalg.norm(frames[:, -1] - frames[:, 0], axis=1)
    if np.any(straight == 0):
        raise ValueError(f"{int(np.sum(straight == 0))} pairs decode to the same image at both "
                         "ends; pick pairs of different images")
    return {"path_ratio": path / straight, "largest_step": step_lengths.max(axis=1) / path}


def different_class_pairs(labels, pairs, seed=0):
    """``(first, second)`` index arrays of ``pairs`` random pairs of examples of different
    classes (``labels`` ``(n,)``), drawn with ``numpy.random.default_rng(seed)``.

    ``seed`` may be a ``numpy.random.Generator``: the draws then continue its stream, so that
    several calls with one generator draw different pairs.
    """
    labels = np.asarray(labels)
    pairs = positive_int(pairs, "pairs")
    if len(np.unique(labels)) < 2:
        raise ValueError("labels must hold at least two classes to draw pairs of different "
                         "classes")
    rng = np.random.default_rng(seed)
    first, second = [], []
    while len(first) < pairs:
        a, b = rng.choice(len(labels), size=2, replace=False)
        if labels[a] != labels[b]:
            first.append(a)
            second.append(b)
    return np.array(first), np.array(second)
