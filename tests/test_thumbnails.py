"""The README's thumbnails: one per notebook, all the same width, cropped to what they show."""

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("make_thumbnails",
                                                  ROOT / "scripts" / "make_thumbnails.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_thumbnails = _load_script()


def test_every_notebook_has_a_thumbnail_and_all_thumbnails_have_the_same_width():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    thumbnails = sorted((ROOT / "docs" / "thumbnails").glob("*.png"))
    assert [p.stem for p in thumbnails] == notebooks
    widths = {p.name: Image.open(p).width for p in thumbnails}
    assert set(widths.values()) == {make_thumbnails.WIDTH}, widths


def test_every_focus_names_a_notebook_and_stays_inside_its_figure():
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for stem, focus in make_thumbnails.FOCUS.items():
        assert stem in notebooks
        width, height = focus["size"]
        for left, top, right, bottom in (box for row in focus["rows"] for box in row):
            assert 0 <= left < right <= width and 0 <= top < bottom <= height, (stem, left, top)


def test_thumbnail_trims_white_margins_before_scaling_to_the_width():
    figure = np.full((400, 1000, 3), 255, np.uint8)
    figure[100:200, 300:500] = (30, 90, 200)  # a 200 x 100 blue panel in a white page
    thumb = make_thumbnails.thumbnail(Image.fromarray(figure))
    pad = make_thumbnails.PAD
    assert thumb.width == make_thumbnails.WIDTH
    assert thumb.height == round((100 + 2 * pad) * make_thumbnails.WIDTH / (200 + 2 * pad))
    centre = np.asarray(thumb)[thumb.height // 2, thumb.width // 2]
    np.testing.assert_allclose(centre, (30, 90, 200), atol=2)


def test_focus_keeps_the_listed_panels_side_by_side_and_rows_stacked():
    figure = np.full((100, 400, 3), 255, np.uint8)
    figure[10:60, 10:60] = 0      # kept: first row
    figure[10:60, 200:250] = 0    # left out
    figure[10:60, 300:350] = 0    # kept: second row
    focus = dict(size=(400, 100), rows=[[(5, 5, 65, 65)], [(295, 5, 355, 65)]])
    thumb = np.asarray(make_thumbnails.thumbnail(Image.fromarray(figure), focus))
    dark_rows = (thumb.mean(axis=(1, 2)) < 128)
    assert thumb.shape[1] == make_thumbnails.WIDTH
    assert thumb.shape[0] > thumb.shape[1]  # two squares one above the other
    assert dark_rows[: len(dark_rows) // 3].any() and dark_rows[-len(dark_rows) // 3:].any()
