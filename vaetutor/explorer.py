"""The latent explorer: point at a 2-D latent plane and see what the decoder makes there.

It needs no kernel. The decoder is run once, on a ``grid x grid`` lattice of cell centres over
the plotted square; the decoded images go into the page as one PNG sprite, the test codes as a
PNG scatter, and a little JavaScript (``explorer.js``, beside this file) shows the tile under
the pointer. So it works in a static page (the book) and in JupyterLab with no kernel running.
Where scripts do not run (GitHub's notebook view, a notebook JupyterLab does not trust yet) the
output is the still scatter and one line saying how to get the interactive version.

Cell (row r, column k) of the lattice, for the plotted square [x0, x0 + L] x [y0, y0 + L] and
cell width w = L / grid, is decoded at

    z = (x0 + (k + 1/2) w,  y0 + L - (r + 1/2) w)        (row 0 at the top: z[1] largest)

and the pointer at z shows cell (floor((y0 + L - z[1]) / w), floor((z[0] - x0) / w)).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .plots import plot_latent_scatter

LAYOUTS = ("side by side", "slider")
SCRIPT = Path(__file__).with_name("explorer.js")
STILL_NOTE = ("A still picture: run this cell in JupyterLab (or open the series' book) to point at "
              "the plane and see the decoder's image there.")


@dataclass(frozen=True)
class Plane:
    """One model's latent plane: the square it shows and its decoded lattice.

    ``extent`` = (x0, y0, L): the square [x0, x0 + L] x [y0, y0 + L]; ``tiles``: uint8
    ``(grid, grid, h, w)``, row 0 at the top; ``scatter_png``: the codes' scatter, ``scatter_size``
    = (width, height) pixels, whose axes fill ``axes_box`` = (left, top, width, height) of them.
    """

    name: str
    extent: tuple[float, float, float]
    tiles: np.ndarray
    scatter_png: bytes
    scatter_size: tuple[int, int]
    axes_box: tuple[float, float, float, float]

    @property
    def grid(self) -> int:
        return self.tiles.shape[0]

    def cell_centres(self) -> np.ndarray:
        """The decoded codes, ``(grid, grid, 2)``: [r, k] is the centre of row r, column k."""
        return lattice(self.extent, self.grid)

    def cell_at(self, z) -> tuple[int, int]:
        """(row, column) of the cell holding the code ``z`` = (z[0], z[1]), clipped to the
        square."""
        x0, y0, side = self.extent
        width = side / self.grid
        row = math.floor((y0 + side - z[1]) / width)
        col = math.floor((z[0] - x0) / width)
        return min(max(row, 0), self.grid - 1), min(max(col, 0), self.grid - 1)

    def sprite_png(self) -> bytes:
        """All tiles as one grey PNG, ``grid`` rows of ``grid`` tiles (lossless)."""
        g, _, h, w = self.tiles.shape
        sprite = self.tiles.transpose(0, 2, 1, 3).reshape(g * h, g * w)
        return png_bytes(sprite)


def lattice(extent, grid):
    """The cell centres of a ``grid x grid`` lattice over the square ``extent`` = (x0, y0, L),
    ``(grid, grid, 2)``, row 0 at the top."""
    x0, y0, side = extent
    centres = (np.arange(grid) + 0.5) * (side / grid)
    z0 = x0 + centres                      # left to right
    z1 = y0 + side - centres               # top to bottom
    return np.stack(np.meshgrid(z0, z1), axis=-1).astype("float32")


def square_around(codes, coverage=0.99, margin=0.1):
    """The square (x0, y0, L) holding the central ``coverage`` of ``codes`` ``(n, 2)`` on both
    axes, widened by ``margin`` of its side: the explorer's default plotted range."""
    tail = (1 - coverage) / 2 * 100
    low, high = np.percentile(codes, [tail, 100 - tail], axis=0)
    side = float(np.max(high - low)) * (1 + margin)
    centre = (low + high) / 2
    return float(centre[0] - side / 2), float(centre[1] - side / 2), side


def png_bytes(image) -> bytes:
    """An array as PNG: ``(h, w)`` grey or ``(h, w, 3|4)`` colour, uint8."""
    from PIL import Image  # installed with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype="uint8")).save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def decoded_tiles(model, extent, grid, grey_levels=256):
    """The model's decoder on the lattice, as uint8 tiles ``(grid, grid, h, w)``: each intensity
    p in [0, 1] rounded to one of ``grey_levels`` evenly spaced values,
    round(round(p (G - 1)) 255 / (G - 1)) for G = grey_levels (fewer levels, a smaller PNG)."""
    images = np.asarray(model.decode(lattice(extent, grid).reshape(-1, 2)))
    images = images.reshape(grid * grid, -1)
    side = math.isqrt(images.shape[1])
    if side * side != images.shape[1]:
        raise ValueError(f"the decoder's images have {images.shape[1]} pixels, not a square image")
    steps = np.round(np.clip(images, 0, 1) * (grey_levels - 1))
    tiles = np.round(steps * (255 / (grey_levels - 1))).astype("uint8")
    return tiles.reshape(grid, grid, side, side)


def scatter_png(codes, labels, class_names, extent, title, dpi=80):
    """The codes' scatter over the square as PNG, its (width, height) in pixels and its axes' box
    (left, top, width, height) in those pixels."""
    fig = plt.figure(figsize=(4.8, 3.9), dpi=dpi)
    ax = fig.add_subplot()
    plot_latent_scatter(codes, labels, class_names, title=title, ax=ax)
    x0, y0, side = extent
    ax.set(xlim=(x0, x0 + side), ylim=(y0, y0 + side), aspect="equal")
    fig.canvas.draw()
    box = ax.get_window_extent()
    size = fig.canvas.get_width_height()
    axes_box = (float(box.x0), float(size[1] - box.y1), float(box.width), float(box.height))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue(), size, axes_box


class LatentExplorer:
    """What ``latent_explorer`` returns: shown in a notebook as the interactive plane (HTML and
    JavaScript, nothing loaded from the network); its ``repr`` says what is embedded."""

    def __init__(self, planes, layout, title, grey_levels=256):
        self.planes, self.layout, self.title = planes, layout, title
        self.grey_levels = grey_levels
        self.html = self._render()

    @property
    def size_bytes(self) -> int:
        """What the explorer adds to a notebook or page (its HTML, images included)."""
        return len(self.html.encode("utf-8"))

    def _render(self) -> str:
        # The still picture's <img>s are the scatters the page shows first (every plane's side by
        # side, the first plane's with a slider); the script reuses them and reads the other
        # planes' scatters from the configuration.
        stills = self.planes if self.layout == "side by side" else self.planes[:1]
        planes = [dict(name=p.name, extent=list(p.extent), grid=p.grid,
                       tile=list(p.tiles.shape[2:]), size=list(p.scatter_size),
                       axes=list(p.axes_box), sprite=data_url(p.sprite_png()),
                       scatter=None if i < len(stills) else data_url(p.scatter_png))
                  for i, p in enumerate(self.planes)]
        config = json.dumps(dict(layout=self.layout, title=self.title, planes=planes))
        identity = "vaetutor-explorer-" + hashlib.sha256(config.encode()).hexdigest()[:12]
        images = "".join(f'<img class="vt-plane" alt="{html.escape(p.name)}: the test codes" '
                         f'src="{data_url(p.scatter_png)}">' for p in stills)
        return (f'<div class="vaetutor-explorer" id="{identity}">'
                f'<div class="vt-still">{images}<p class="vt-note">{html.escape(STILL_NOTE)}</p>'
                f'</div><script type="application/json" class="vt-config">{config}</script>'
                f'<script>{SCRIPT.read_text(encoding="utf-8")}\nvaetutorExplorer("{identity}");'
                f'</script></div>')

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        grids = ", ".join(f"{p.name} ({p.grid}x{p.grid})" for p in self.planes)
        return (f"latent explorer ({self.layout}): {grids} decoded cells at {self.grey_levels} "
                f"grey levels; {self.size_bytes / 1e6:.2f} MB embedded; interactive in JupyterLab "
                "and the book")


def latent_explorer(models, x, labels, class_names, *, grid=48, grey_levels=32,
                    layout="side by side", extent=None, n_points=3000, seed=0,
                    title=None) -> LatentExplorer:
    """The latent explorer of ``models`` (name -> trained model with 2-D codes), over ``x``.

    Each plane scatters the codes (``model.encode``) of ``n_points`` of the images ``x``
    (``labels`` index ``class_names``), coloured by class, over the square ``extent`` = (x0, y0,
    L) or, by default, ``square_around`` those codes; the decoder is run on a ``grid x grid``
    lattice over it, its images kept at ``grey_levels`` grey levels. ``layout``: "side by side"
    (one panel per model) or "slider" (one panel, a slider choosing the model).
    """
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict: name -> trained model")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}; got {layout!r}")
    if not isinstance(grid, int) or not 4 <= grid <= 128:
        raise ValueError(f"grid must be an integer from 4 to 128 (cells per side); got {grid!r}")
    if not isinstance(grey_levels, int) or not 2 <= grey_levels <= 256:
        raise ValueError(f"grey_levels must be an integer from 2 to 256; got {grey_levels!r}")
    labels = np.asarray(labels)
    if len(labels) != len(x):
        raise ValueError(f"labels must have one entry per image: {len(labels)} labels, "
                         f"{len(x)} images")
    chosen = np.random.default_rng(seed).permutation(len(x))[:n_points]
    planes = []
    for name, model in models.items():
        if getattr(model, "latent_dim", None) != 2:
            raise ValueError(f"model {name!r} has {getattr(model, 'latent_dim', '?')} latent "
                             "dimensions; the explorer draws a plane, so it needs 2")
        codes = np.asarray(model.encode(x[chosen]))
        square = tuple(float(v) for v in extent) if extent is not None else square_around(codes)
        png, size, axes_box = scatter_png(codes, labels[chosen], class_names, square, title=name)
        tiles = decoded_tiles(model, square, grid, grey_levels)
        planes.append(Plane(name, square, tiles, png, size, axes_box))
    return LatentExplorer(planes, layout, title, grey_levels)
