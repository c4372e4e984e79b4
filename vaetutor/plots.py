"""The figures of the series. Each function makes one figure and returns it.

In a notebook, assign the result (``fig = plot_...(...)``) so that it is shown once; in a script,
``fig.savefig(...)`` then ``plt.close(fig)``.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.colors import BoundaryNorm, ListedColormap
from statistics import NormalDist

from .data import check_images


def plot_standard_normal_reference(n=5000, seed=0, limit=4.0):
    """Scatter of ``n`` samples from the 2-D standard normal N(0, I): the prior p(z).

    Dashed circles mark radii 1, 2 and 3, each labelled with the fraction of these samples inside
    it and, in brackets, the closed form for N(0, I) in 2-D, 1 - exp(-r^2 / 2) (39.3%, 86.5%,
    98.9%).
    """
    z = np.random.default_rng(seed).standard_normal((n, 2))
    radius = np.hypot(z[:, 0], z[:, 1])
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.scatter(z[:, 0], z[:, 1], s=3, alpha=0.5, color="tab:blue", linewidths=0)
    for r in (1, 2, 3):
        inside = 1 - np.exp(-(r**2) / 2)
        ax.add_patch(plt.Circle((0, 0), r, fill=False, ls="--", lw=1, color="0.3"))
        # each label centred on the top of its circle, well inside the axes
        ax.annotate(f"r={r}: {np.mean(radius <= r):.1%} ({inside:.1%})", (0, r),
                    xytext=(0, 2), ha="center", va="bottom",
                    textcoords="offset points", fontsize=9, color="0.1",
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="z[0]", ylabel="z[1]",
           title=f"{n:,} samples from N(0, I) in 2-D\n"
                 "share inside each circle (closed form in brackets)", aspect="equal")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_loss_curves(history, metrics=("loss", "reconstruction_loss", "kl_loss"), title=None,
                     zoom_after_first=True):
    """Training and validation curves, one panel per metric, from ``history.history`` or a dict
    (e.g. a :class:`~vaetutor.training.TrainedRun`'s ``history``); ``title`` above them all.

    The first epoch's values are often far from the rest and would squash the later curves into
    a line; with ``zoom_after_first`` (and five epochs or more) each panel's y range covers
    epochs 2 onwards, and the x label gives the epoch-1 values that fall outside it.
    """
    logs = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(logs)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        curves = {"training": np.asarray(logs[metric], dtype=float)}
        if f"val_{metric}" in logs:
            curves["validation (test set)"] = np.asarray(logs[f"val_{metric}"], dtype=float)
        epochs = np.arange(1, len(curves["training"]) + 1)
        for label, values in curves.items():
            ax.plot(epochs, values, marker=".", label=label)
        ax.set(xlabel="epoch", ylabel="nats per image", title=metric)
        if zoom_after_first and len(epochs) >= 5:
            later = np.concatenate([v[1:] for v in curves.values()])
            low, high = later.min(), later.max()
            margin = 0.08 * (high - low) or 0.5
            ax.set_ylim(low - margin, high + margin)
            outside = [f"{name.split(' ')[0]} {v[0]:.4g}" for name, v in curves.items()
                       if not low - margin <= v[0] <= high + margin]
            if outside:
                ax.set_xlabel(f"epoch\n(epoch 1 off the axes: {', '.join(outside)})",
                              fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(loc="center right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_reconstructions(x, x_reconstructed, n=10):
    """Top row: ``n`` inputs ("Input0"...), bottom row: their reconstructions ("Recon0"...)."""
    x = check_images(x, name="x")
    x_reconstructed = check_images(x_reconstructed, name="x_reconstructed")
    if len(x) < n or len(x_reconstructed) < n:
        raise ValueError(f"need at least n={n} images in x and x_reconstructed")
    fig, axes = plt.subplots(2, n, figsize=(1.2 * n, 2.7))
    for i in range(n):
        for row, (images, label) in enumerate(((x, "Input"), (x_reconstructed, "Recon"))):
            ax = axes[row, i]
            ax.imshow(images[i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{label}{i}", fontsize=9)
            ax.axis("off")
    fig.tight_layout()
    return fig


def plot_latent_scatter(z, labels, class_names, title="Encoder output (test set)", ax=None,
                        limit=None, colorbar=True):
    """Scatter of 2-D codes coloured by class, with a colour bar labelled by class name.

    ``z``: ``(n, 2)``; ``labels``: ``(n,)`` integers indexing ``class_names``. With ``ax`` the
    scatter is drawn into an existing axes (for small multiples) and its figure is returned.
    ``limit`` fixes both axes to [-limit, limit].
    """
    z = np.asarray(z)
    labels = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (n, 2) to be drawn in a plane; got {z.shape}")
    if labels.shape != (len(z),):
        raise ValueError(f"labels must have shape ({len(z)},); got {labels.shape}")
    k = len(class_names)
    cmap = ListedColormap(class_colors(k))
    norm = BoundaryNorm(np.arange(-0.5, k), k)
    fig = ax.figure if ax is not None else plt.figure(figsize=(6.4, 5.4))
    ax = ax if ax is not None else fig.add_subplot()
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap=cmap, norm=norm, s=2, alpha=0.6,
                        linewidths=0, rasterized=True)
    ax.set(xlabel="z[0]", ylabel="z[1]", title=title)
    if limit is not None:
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit))
    ax.grid(alpha=0.3)
    if colorbar:
        bar = fig.colorbar(points, ax=ax, ticks=np.arange(k))
        bar.ax.set_yticklabels(class_names)
        bar.solids.set(alpha=1)
    return fig


def class_colors(k):
    """The colours of ``k`` classes in every scatter of the series (tab10, or tab20 beyond 10):
    a list of ``k`` RGB triples in [0, 1]."""
    return [tuple(c) for c in plt.get_cmap("tab10" if k <= 10 else "tab20").colors[:k]]


def latent_grid(n=30, extent=3.0, spacing="linear"):
    """The ``n * n`` latent points decoded by :func:`plot_decoder_manifold`, shape ``(n*n, 2)``.

    Row-major from the top-left: row ``i`` has ``z[1] = ys[i]`` (from +extent down to -extent),
    column ``j`` has ``z[0] = xs[j]``. ``spacing="linear"`` spaces the points evenly over
    [-extent, extent]; ``"quantile"`` places them at the standard-normal quantiles of evenly
    spaced probabilities in (0, 1), so each cell covers equal prior mass (``extent`` unused).
    Returns ``(grid, xs, ys)``.
    """
    if spacing == "linear":
        xs = np.linspace(-extent, extent, n)
    elif spacing == "quantile":
        xs = np.array([NormalDist().inv_cdf(p) for p in (np.arange(n) + 0.5) / n])
    else:
        raise ValueError(f"spacing must be 'linear' or 'quantile'; got {spacing!r}")
    ys = xs[::-1]
    grid = np.array([[x, y] for y in ys for x in xs], dtype="float32")
    return grid, xs, ys


def plot_decoder_manifold(decode, n=30, extent=3.0, spacing="linear", title="Decoder output",
                          ax=None, digit_size=28):
    """Decode an ``n x n`` grid of 2-D latent points in one batch and tile the images.

    ``decode`` maps codes ``(n*n, 2)`` to pixel probabilities ``(n*n, 784)`` or
    ``(n*n, 28, 28, 1)`` (e.g. ``vae.decode``). The y axis runs from +extent at the top down to
    -extent; ticks mark round latent coordinates (-3, -2, ..., 3).
    """
    grid, xs, ys = latent_grid(n, extent, spacing)
    images = np.asarray(decode(grid))
    if images.shape[0] != n * n or images[0].size != digit_size * digit_size:
        raise ValueError(
            f"decode must return {n * n} images of {digit_size}x{digit_size} pixels; "
            f"got shape {images.shape}"
        )
    tiles = images.reshape(n, n, digit_size, digit_size).transpose(0, 2, 1, 3)
    canvas = tiles.reshape(n * digit_size, n * digit_size)
    fig = ax.figure if ax is not None else plt.figure(figsize=(8, 8))
    ax = ax if ax is not None else fig.add_subplot()
    ax.imshow(canvas, cmap="Greys_r", vmin=0, vmax=1)
    centres = np.arange(n) * digit_size + (digit_size - 1) / 2
    # ticks at round latent values (every integer, or every other one over a wide range),
    # placed where those values fall between the decoded points
    low, high = float(xs.min()), float(xs.max())
    spacing_of_ticks = 1 if high - low <= 8 else 2
    values = np.arange(np.ceil(low / spacing_of_ticks), np.floor(high / spacing_of_ticks) + 1)
    values = values * spacing_of_ticks
    labels = [f"{v:g}" for v in values]
    ax.set_xticks(np.interp(values, xs, centres), labels)
    ax.set_yticks(np.interp(values, ys[::-1], centres[::-1]), labels)
    ax.set(xlabel="z[0]", ylabel="z[1]", title=title)
    return fig


def _grid_of_axes(n_panels, ncols, panel_size, extra_width=0.0, **subplot_kw):
    """``n_panels`` axes in rows of ``ncols``, each about ``panel_size`` inches square (plus
    ``extra_width`` inches for a colour bar); ``subplot_kw`` go to ``plt.subplots``."""
    nrows = int(np.ceil(n_panels / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols + extra_width,
                                                    panel_size * nrows),
                             squeeze=False, **subplot_kw)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, axes.flat[:n_panels]


def plot_latent_scatter_grid(codes, labels, class_names, ncols=4, title_format="c = {}",
                             suptitle=None, reference_radius=2.0, limit=None):
    """Small multiples of 2-D code scatters, one panel per key of ``codes``, shared axes.

    ``codes``: ``{key: (n, 2) array}`` (e.g. one entry per KL coefficient), all for the same
    ``labels``. All panels show the window [-limit, limit]^2 (by default wide enough for 99.5% of
    every panel's coordinates), so that they compare directly; each title adds the share of codes
    inside the window. A dashed circle of ``reference_radius`` marks where ~86% of N(0, I) lies
    (radius 2).
    """
    if not codes:
        raise ValueError("codes is empty: give one (n, 2) array per panel")
    if limit is None:
        limit = max(float(np.percentile(np.abs(np.asarray(z)), 99.5)) for z in codes.values())
        limit = max(limit * 1.1, reference_radius * 1.2)
    fig, axes = _grid_of_axes(len(codes), ncols, 3.2, extra_width=1.2, sharex=True, sharey=True,
                              layout="constrained")
    for ax, (key, z) in zip(axes, codes.items()):
        inside = float(np.mean(np.all(np.abs(np.asarray(z)) <= limit, axis=1)))
        title = title_format.format(key) + (f" ({inside:.0%} inside)" if inside < 0.995 else "")
        plot_latent_scatter(z, labels, class_names, title=title, ax=ax, limit=limit,
                            colorbar=False)
        ax.set_aspect("equal", adjustable="box")
        ax.add_patch(plt.Circle((0, 0), reference_radius, fill=False, ls="--", lw=1, color="k"))
        ax.label_outer()
    points = axes[0].collections[0]
    bar = fig.colorbar(points, ax=list(axes), ticks=np.arange(len(class_names)), shrink=0.8)
    bar.ax.set_yticklabels(class_names)
    bar.solids.set(alpha=1)           # the classes' colours, not the points' transparency
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_decoder_manifold_grid(decoders, n=30, extent=3.0, ncols=4, title_format="c = {}",
                               suptitle=None):
    """Small multiples of decoder manifolds: one ``n x n`` grid over [-extent, extent]^2 per key.

    ``decoders``: ``{key: decode}`` with ``decode`` as in :func:`plot_decoder_manifold`. Every
    panel keeps its latent ticks; the axis names (z[0], z[1]) are on the bottom row and the left
    column only.
    """
    if not decoders:
        raise ValueError("decoders is empty: give one decode function per panel")
    fig, axes = _grid_of_axes(len(decoders), ncols, 4.0)
    count = len(decoders)
    for i, (ax, (key, decode)) in enumerate(zip(axes, decoders.items())):
        plot_decoder_manifold(decode, n=n, extent=extent, title=title_format.format(key), ax=ax)
        bottom_row = i + ncols >= count
        ax.set(xlabel="z[0]" if bottom_row else "", ylabel="z[1]" if i % ncols == 0 else "")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout(h_pad=1.5)       # the titles clear the tick labels of the row above
    return fig


def plot_metrics_against(values, metrics, xlabel, title=None, symlog_threshold=0.01,
                         log_y=(), ylim=None):
    """Line plot of several metrics against a swept setting, one axis per metric.

    ``values``: the settings (e.g. KL coefficients, 0 allowed: the x axis is symmetric-log with
    a linear range below ``symlog_threshold``); ``metrics``: ``{name: sequence}``, each as long as
    ``values``; the metrics named in ``log_y`` get a logarithmic y axis (positive values only);
    ``ylim`` maps metric names to ``(low, high)``: points above ``high`` are drawn at the top edge
    as open triangles labelled with their value.
    """
    ylim = ylim or {}
    unknown = sorted((set(log_y) | set(ylim)) - set(metrics))
    if unknown:
        raise ValueError(f"log_y names {unknown}, which are not among the metrics {list(metrics)}")
    values = np.asarray(values, dtype=float)
    for name, ys in metrics.items():
        if len(ys) != len(values):
            raise ValueError(f"{name} has {len(ys)} values for {len(values)} settings")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.6), squeeze=False)
    for ax, (name, ys) in zip(axes[0], metrics.items()):
        ys = np.asarray(ys, dtype=float)
        if name in ylim:
            low, high = ylim[name]
            above = ys > high
            ax.plot(values, np.minimum(ys, high), color="tab:blue")
            ax.plot(values[~above], ys[~above], "o", color="tab:blue")
            ax.plot(values[above], np.full(above.sum(), high), "^", mfc="none", color="tab:blue")
            for v, y in zip(values[above], ys[above]):
                ax.annotate(f"{y:.0f}", (v, high), xytext=(7, -4), textcoords="offset points",
                            fontsize=8, va="top")
            ax.set_ylim(low, high + 0.05 * (high - low))  # room for the markers at the top
        else:
            ax.plot(values, ys, marker="o")
        ax.set_xscale("symlog", linthresh=symlog_threshold)
        # ticks at the settings themselves; from just left of the smallest to right of the largest
        ax.set_xticks(values, [f"{v:g}" for v in values], fontsize=8)
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.set_xlim(min(values.min(), 0.0) - 0.5 * symlog_threshold, values.max() * 1.6)
        if name in log_y:
            ax.set_yscale("log")
            if ys.max() < 10 * ys.min():  # less than a decade: label plain numbers
                ax.yaxis.set_major_locator(ticker.MaxNLocator(9, steps=[1, 2, 2.5, 5, 10]))
                ax.yaxis.set_major_formatter(ticker.ScalarFormatter())
                ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set(xlabel=xlabel, title=name + (" (log scale)" if name in log_y else ""))
        ax.grid(alpha=0.3, which="both")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_image_grid(images, n_cols=8, title=None, ax=None, cmap="gray"):
    """Tile a batch of 28x28 images (pixels in [0, 1]) into one picture, row by row."""
    images = check_images(images, name="images").reshape(-1, 28, 28)
    n_rows = int(np.ceil(len(images) / n_cols))
    canvas = np.ones((n_rows * 28, n_cols * 28), "float32")
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        canvas[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = image
    fig = ax.figure if ax is not None else plt.figure(figsize=(n_cols * 0.8, n_rows * 0.8 + 0.4))
    ax = ax if ax is not None else fig.add_subplot()
    ax.imshow(canvas, cmap=cmap, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def plot_training_snapshot(model, x_test, y_test, class_names, epoch, n_samples=64, seed=0,
                           grid_n=20):
    """One picture of a VAE at one epoch: samples from the prior, test codes, decoded grid.

    The three figures the Fashion-MNIST article saves every 10 epochs, side by side:
    ``n_samples`` images decoded from z ~ N(0, I) (drawn with ``seed``, so every snapshot
    decodes the same codes), the test set's ``z_mean`` coloured by class (axes [-4, 4]), and a
    ``grid_n x grid_n`` grid over [-3, 3]^2. ``model`` needs ``encode`` and ``decode``.
    """
    latent_dim = model.latent_dim
    z = np.random.default_rng(seed).standard_normal((n_samples, latent_dim)).astype("float32")
    fig = plt.figure(figsize=(17, 5.4))
    axes = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1, 1.25, 1]))
    plot_image_grid(model.decode(z), n_cols=int(np.sqrt(n_samples)), ax=axes[0],
                    title=f"samples from the prior, epoch {epoch}")
    plot_latent_scatter(model.encode(x_test), y_test, class_names, ax=axes[1], limit=4,
                        title=f"test set in latent space, epoch {epoch}")
    if latent_dim == 2:
        plot_decoder_manifold(model.decode, n=grid_n, extent=3.0, ax=axes[2],
                              title=f"decoded grid over [-3, 3]², epoch {epoch}")
    else:
        axes[2].set_axis_off()
    fig.tight_layout()
    return fig


def figure_to_array(fig, dpi=60):
    """Render a figure to an RGB array ``(height, width, 3)`` (uint8), e.g. for a GIF frame."""
    fig.set_dpi(dpi)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_gif(frames, path, seconds_per_frame=0.8, keep_colors=()):
    """Write RGB frames ``[(h, w, 3) uint8, ...]`` as an animated GIF that loops forever.

    A GIF frame has at most 256 colours. By default each frame gets its own adaptive palette,
    which can merge colours that cover few pixels (the classes of a scatter of small dots).
    ``keep_colors`` (RGB triples in [0, 1], e.g. ``class_colors(10)``) fixes the palette instead:
    those colours, their blends with white at 60 % and 30 % (half-transparent dots), and greys
    for the rest; every pixel takes the nearest, without dithering.
    """
    from PIL import Image  # installed with matplotlib

    if not frames:
        raise ValueError("no frames to write")
    images = [Image.fromarray(np.asarray(f, dtype="uint8")) for f in frames]
    if keep_colors:
        colors = np.asarray(keep_colors, dtype=float).reshape(-1, 3)
        tints = [colors, 0.6 * colors + 0.4, 0.3 * colors + 0.7]
        entries = np.round(np.concatenate(tints) * 255)
        if len(entries) > 200:
            raise ValueError(f"keep_colors: at most 66 colours fit a GIF palette with their "
                             f"blends and greys; got {len(colors)}")
        greys = np.repeat(np.linspace(0, 255, 256 - len(entries))[:, None], 3, axis=1)
        palette = Image.new("P", (1, 1))
        palette.putpalette(np.concatenate([entries, np.round(greys)]).astype("uint8").ravel().tolist())
        images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    images[0].save(path, save_all=True, append_images=images[1:], loop=0,
                   duration=int(seconds_per_frame * 1000))
    return path


def show_as_jpeg(fig, dpi=90, quality=80):
    """Show a figure in a notebook as a JPEG, then close it.

    Grids of decoded digits compress badly as PNG (hundreds of kB each); as JPEG they take a
    fraction of that, which keeps committed notebooks small. Needs IPython (a notebook).
    """
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight",
                pil_kwargs={"quality": quality})
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="jpeg"))


def plot_bound_against_k(bounds, title=None):
    """The importance-weighted bound's gain over the ELBO against K, one line per model.

    ``bounds``: ``{label: {K: per-image bound (n,)}}`` (from
    :func:`vaetutor.likelihood.importance_weighted_bounds`, K = 1 included). Plots the mean over
    images of L_K - L_1 (nats, the same draws, so the difference is paired) with a band of
    ± one standard error of that mean, on a logarithmic K axis.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, by_k in bounds.items():
        if 1 not in by_k:
            raise ValueError(f"bounds[{label!r}] needs K = 1 (the ELBO) to measure the gain")
        ks = sorted(by_k)
        gains = [np.asarray(by_k[k]) - np.asarray(by_k[1]) for k in ks]
        mean = np.array([g.mean() for g in gains])
        error = np.array([g.std(ddof=1) / np.sqrt(g.size) if g.size > 1 else 0.0 for g in gains])
        (line,) = ax.plot(ks, mean, marker="o", label=label)
        ax.fill_between(ks, mean - error, mean + error, color=line.get_color(), alpha=0.2)
    ax.set_xscale("log")
    ax.set(xlabel="K (importance samples per image)", ylabel="L_K − L_1 (nats per image)",
           title=title or "How much the bound gains over the ELBO")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_side_by_side(values, metrics, title=None, ncols=3, log_y=()):
    """Grouped bars: for each metric one axis, for each group (e.g. a dataset and latent size)
    one bar per model; ``ncols`` axes per row; the metrics in ``log_y`` on a log axis (values
    that span orders of magnitude, which a linear axis would show as 0).

    ``values``: ``{group: {model: {metric: value}}}``; ``metrics``: ``{metric: axis title}``.
    Every group must have the same models, each with every metric.
    """
    groups = list(values)
    models = list(values[groups[0]])
    for group in groups:
        if list(values[group]) != models:
            raise ValueError(f"every group needs the models {models}; {group!r} has "
                             f"{list(values[group])}")
    fig, axes = _grid_of_axes(len(metrics), ncols, 3.6)
    width = 0.8 / len(models)
    x = np.arange(len(groups))
    for ax, (metric, label) in zip(axes, metrics.items()):
        for i, model in enumerate(models):
            heights = [values[group][model][metric] for group in groups]
            ax.bar(x + (i - (len(models) - 1) / 2) * width, heights, width, label=model)
        ax.set_xticks(x, groups, fontsize=8)
        ax.set_title(label, fontsize=10)
        if metric in log_y:
            ax.set_yscale("log")
            smallest = min(values[group][model][metric] for group in groups for model in models)
            ax.set_ylim(bottom=smallest / 3)       # the smallest bar still stands out
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
