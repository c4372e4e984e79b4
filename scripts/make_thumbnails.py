"""Write docs/thumbnails/<notebook>.png from the figure of each notebook's 'key-figure' cell.

    python scripts/make_thumbnails.py notebooks/*.ipynb

Reads the committed outputs (run ``make notebooks`` first); the README's table shows them side by
side, so every thumbnail is WIDTH pixels wide. To stay legible at that width a thumbnail keeps the
informative part of its figure: white margins are trimmed, and a figure too detailed to shrink
whole keeps the panels listed in FOCUS.
"""

import base64
import io
import sys
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image

WIDTH = 300
#: a pixel is background when all its channels are at least this light
WHITE = 245
#: background kept around the content when margins are trimmed, and between assembled panels
PAD = 4

#: The parts of a figure a thumbnail keeps: rows of boxes (left, top, right, bottom) in pixels of
#: the figure at ``size`` (scaled if the figure's size changes), side by side within a row, rows
#: one above the other; each part's white margins are trimmed. A figure not listed is shown
#: whole, margins trimmed.
FOCUS = {
    # the inside of the axes: the samples and the circles fill the thumbnail
    "01_standard_normal_reference": dict(size=(519, 540), rows=[[(61, 53, 512, 487)]]),
    # the decoded manifold's middle, z in about [-1.5, 1.5]²: 15 x 15 digits instead of 30 x 30
    "02_mlp_vae_mnist": dict(size=(679, 700), rows=[[(212, 189, 510, 487)]]),
    # the two ends of the sweep, c = 0 and c = 20 (of eight panels)
    "03_kl_coefficient_sweep": dict(size=(1006, 627), rows=[[(58, 78, 248, 292),
                                                             (718, 363, 908, 577)]]),
    # samples from the prior and where the test set's codes lie (of three panels), no titles
    "04_conv_vae_monte_carlo": dict(size=(1519, 476), rows=[[(7, 25, 411, 431),
                                                             (549, 75, 862, 325)]]),
    # morphs of pairs 2 and 3 framed by their originals, VAE above MMD-VAE, no row labels
    "05_mmd_vae": dict(size=(933, 569), rows=[[(122, 245, 928, 398)], [(122, 412, 928, 563)]]),
    # samples of the 16-D conv VAE (left) and MMD-VAE (right), without their titles
    "06_model_evaluation": dict(size=(960, 980), rows=[[(0, 515, 960, 975)]]),
}


def key_figure_image(path: Path) -> bytes:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "key-figure" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                for kind in ("image/png", "image/jpeg"):
                    if kind in output.get("data", {}):
                        return base64.b64decode(output["data"][kind])
    raise SystemExit(f"{path}: no executed cell tagged 'key-figure' with a PNG or JPEG output")


def trim(image: Image.Image) -> Image.Image:
    """``image`` cropped to its non-white content, with PAD pixels of margin."""
    content = (np.asarray(image) < WHITE).any(axis=2)
    if not content.any():
        return image
    rows, cols = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    return image.crop((max(cols[0] - PAD, 0), max(rows[0] - PAD, 0),
                       min(cols[-1] + 1 + PAD, image.width), min(rows[-1] + 1 + PAD, image.height)))


def assemble(pieces: list[list[Image.Image]]) -> Image.Image:
    """Rows of images, side by side within a row (scaled to one height) and rows stacked, on
    white with PAD between."""
    row_images = []
    for row in pieces:
        height = max(p.height for p in row)
        row = [p.resize((round(p.width * height / p.height), height), Image.LANCZOS)
               if p.height != height else p for p in row]
        canvas = Image.new("RGB", (sum(p.width for p in row) + PAD * (len(row) - 1), height),
                           "white")
        x = 0
        for p in row:
            canvas.paste(p, (x, 0))
            x += p.width + PAD
        row_images.append(canvas)
    width = max(r.width for r in row_images)
    canvas = Image.new("RGB", (width, sum(r.height for r in row_images)
                               + PAD * (len(row_images) - 1)), "white")
    y = 0
    for r in row_images:
        canvas.paste(r, ((width - r.width) // 2, y))
        y += r.height + PAD
    return canvas


def thumbnail(image: Image.Image, focus: dict | None = None) -> Image.Image:
    """The thumbnail of a key figure: its informative part, WIDTH pixels wide."""
    image = image.convert("RGB")
    if focus is not None:
        sx, sy = image.width / focus["size"][0], image.height / focus["size"][1]
        image = assemble([[trim(image.crop((round(l * sx), round(t * sy),
                                            round(r * sx), round(b * sy))))
                           for l, t, r, b in row] for row in focus["rows"]])
    image = trim(image)
    height = max(1, round(image.height * WIDTH / image.width))
    return image.resize((WIDTH, height), Image.LANCZOS)


def main(paths):
    out = Path("docs/thumbnails")
    out.mkdir(parents=True, exist_ok=True)
    for path in map(Path, paths):
        image = Image.open(io.BytesIO(key_figure_image(path)))
        thumb = thumbnail(image, FOCUS.get(path.stem))
        target = out / f"{path.stem}.png"
        thumb.save(target, optimize=True)
        print(f"{target}: {thumb.width}x{thumb.height}")


if __name__ == "__main__":
    main(sys.argv[1:])
