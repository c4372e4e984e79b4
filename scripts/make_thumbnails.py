"""Write docs/thumbnails/<notebook>.png from the figure of each notebook's 'key-figure' cell.

    python scripts/make_thumbnails.py notebooks/*.ipynb

Reads the committed outputs (run ``make notebooks`` first); the README's table shows them.
"""

import base64
import io
import sys
from pathlib import Path

import nbformat
from PIL import Image

WIDTH = 260


def key_figure_image(path: Path) -> bytes:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "key-figure" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                for kind in ("image/png", "image/jpeg"):
                    if kind in output.get("data", {}):
                        return base64.b64decode(output["data"][kind])
    raise SystemExit(f"{path}: no executed cell tagged 'key-figure' with a PNG or JPEG output")


def main(paths):
    out = Path("docs/thumbnails")
    out.mkdir(parents=True, exist_ok=True)
    for path in map(Path, paths):
        image = Image.open(io.BytesIO(key_figure_image(path))).convert("RGB")
        wide = image.width > 2 * image.height  # a row of panels: keep it legible
        image.thumbnail((2 * WIDTH if wide else WIDTH, WIDTH * 2))
        target = out / f"{path.stem}.png"
        image.save(target, optimize=True)
        print(f"{target}: {image.size[0]}x{image.size[1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
