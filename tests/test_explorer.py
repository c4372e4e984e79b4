"""The latent explorer (vaetutor.explorer): the decoded lattice, the page it writes, and, in a
headless browser, that the pointer at a known code shows the decoder's image of that code."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from browser import needs_chromium, run_in_page
from vaetutor.explorer import lattice, latent_explorer, square_around

SQUARE = (-2.0, -1.0, 4.0)  # x0, y0, L: the plane [-2, 2] x [-1, 3]


class PatternModel:
    """A stand-in for a trained 2-D model whose images change quickly with z: a wrong cell
    (off by one row or column, rows upside down) shows a visibly different image."""

    latent_dim = 2

    def __init__(self, phase=0.0):
        self.phase = phase

    def encode(self, x):
        return np.asarray(x, dtype="float32").reshape(len(x), -1)[:, :2]

    def decode(self, z):
        z = np.asarray(z, dtype="float64")
        i, j = np.mgrid[0:28, 0:28]
        wave = np.sin(4 * z[:, :1, None] + 0.35 * j + self.phase) * np.cos(3 * z[:, 1:, None] + 0.25 * i)
        return (0.5 + 0.5 * wave).astype("float32")                       # (n, 28, 28) in [0, 1]


def codes_and_labels(n=400, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.uniform([-2, -1], [2, 3], size=(n, 2)).astype("float32")
    x = np.concatenate([z, np.zeros((n, 782), "float32")], axis=1)     # encode() reads z back
    return x, rng.integers(0, 3, n)


def explorer(layout="side by side", models=None, grid=16, grey_levels=32):
    x, y = codes_and_labels()
    models = models or {"first": PatternModel(0.0), "second": PatternModel(1.3)}
    return latent_explorer(models, x, y, ["a", "b", "c"], grid=grid, grey_levels=grey_levels,
                           layout=layout, extent=SQUARE, n_points=300)


def quantised(p, levels=32):
    return np.round(np.round(np.clip(p, 0, 1) * (levels - 1)) * (255 / (levels - 1))).astype("uint8")


def test_lattice_cell_centres_row_zero_at_the_top():
    centres = lattice(SQUARE, 4)                        # cell width 1
    assert centres.shape == (4, 4, 2)
    np.testing.assert_allclose(centres[0, 0], [-1.5, 2.5])     # top left
    np.testing.assert_allclose(centres[3, 0], [-1.5, -0.5])    # bottom left
    np.testing.assert_allclose(centres[0, 3], [1.5, 2.5])      # top right


def test_each_tile_is_the_decoder_at_its_cell_centre_and_cell_at_finds_it():
    plane = explorer().planes[1]
    x0, y0, side = SQUARE
    w = side / 16
    for row, col in [(0, 0), (2, 5), (15, 15), (9, 3)]:
        z = np.array([[x0 + (col + 0.5) * w, y0 + side - (row + 0.5) * w]], "float32")
        np.testing.assert_array_equal(plane.tiles[row, col], quantised(PatternModel(1.3).decode(z)[0]))
        assert plane.cell_at(z[0]) == (row, col)
        assert plane.cell_at(z[0] + [0.49 * w, -0.49 * w]) == (row, col)  # anywhere in the cell
    assert plane.cell_at((-5.0, 9.0)) == (0, 0)                            # clipped to the square


def test_the_sprite_holds_the_tiles_row_by_row_losslessly():
    plane = explorer().planes[0]
    sprite = np.asarray(Image.open(io.BytesIO(plane.sprite_png())))
    assert sprite.shape == (16 * 28, 16 * 28)
    np.testing.assert_array_equal(sprite[2 * 28:3 * 28, 5 * 28:6 * 28], plane.tiles[2, 5])


def test_grey_levels_are_what_the_tiles_hold():
    tiles = explorer(grey_levels=4).planes[0].tiles
    assert set(np.unique(tiles)) <= {0, 85, 170, 255}
    assert len(np.unique(tiles)) == 4


def test_default_square_holds_the_central_codes_with_a_margin():
    z = np.random.default_rng(0).normal([3.0, -1.0], [2.0, 0.5], size=(20000, 2))
    x0, y0, side = square_around(z)
    low, high = np.percentile(z, [0.5, 99.5], axis=0)
    assert x0 < low[0] and x0 + side > high[0] and y0 < low[1] and y0 + side > high[1]
    assert side == pytest.approx((high[0] - low[0]) * 1.1)       # the wider axis sets the side
    assert x0 + side / 2 == pytest.approx((low[0] + high[0]) / 2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(models={}), "non-empty dict"),
    (dict(layout="grid"), "layout must be one of"),
    (dict(grid=2), "grid must be an integer from 4 to 128"),
    (dict(grey_levels=1), "grey_levels must be an integer from 2 to 256"),
])
def test_bad_arguments_are_named(kwargs, message):
    x, y = codes_and_labels()
    args = dict(models={"m": PatternModel()}, layout="slider", grid=8, grey_levels=16) | kwargs
    with pytest.raises(ValueError, match=message):
        latent_explorer(args.pop("models"), x, y, ["a", "b", "c"], **args)


def test_a_model_without_two_latent_dimensions_is_refused_by_name():
    wide = PatternModel()
    wide.latent_dim = 16
    x, y = codes_and_labels()
    with pytest.raises(ValueError, match="model 'wide' has 16 latent dimensions"):
        latent_explorer({"wide": wide}, x, y, ["a", "b", "c"])
    with pytest.raises(ValueError, match="one entry per image: 3 labels, 400 images"):
        latent_explorer({"m": PatternModel()}, x, y[:3], ["a", "b", "c"])


def test_the_output_is_self_contained_deterministic_and_says_what_it_holds():
    first, again = explorer(), explorer()
    assert first.html == again.html
    sources = re.findall(r'src="([^"]{0,30})', first.html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"https?://", first.html)
    assert "run this cell in JupyterLab" in first.html          # the still picture's one line
    assert repr(first).startswith("latent explorer (side by side): first (16x16), second (16x16)")
    assert f"{first.size_bytes / 1e6:.2f} MB embedded" in repr(first)


def write_page(tmp_path, exp, name="explorer.html"):
    page = tmp_path / name
    page.write_text(f"<!doctype html><meta charset='utf-8'><body>{exp.html}</body>",
                    encoding="utf-8")
    return page


def pixel_of(plane, z):
    """Where the code z is drawn in the plane's scatter, in the scatter's own pixels."""
    x0, y0, side = plane.extent
    left, top, width, height = plane.axes_box
    return left + (z[0] - x0) / side * width, top + (y0 + side - z[1]) / side * height


POINT_AND_READ = """
  var root = d.querySelector(".vaetutor-explorer");
  var panel = root.querySelectorAll(".vt-panel")[%(panel)d];
  var img = panel.querySelector("img"), canvas = panel.querySelector("canvas");
  var rect = img.getBoundingClientRect(), scale = rect.width / %(width)f;
  %(before)s
  img.dispatchEvent(new w.PointerEvent("pointermove", {bubbles: true,
      clientX: rect.left + %(px)f * scale, clientY: rect.top + %(py)f * scale}));
  await pause(300);
  return {cell: canvas.getAttribute("data-drawn"), plane: canvas.getAttribute("data-plane"),
          coords: panel.querySelector(".vt-coords").textContent, png: canvas.toDataURL("image/png"),
          still: root.querySelectorAll(".vt-still").length};
"""


def canvas_pixels(data_url):
    png = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@needs_chromium
def test_pointing_at_a_code_shows_the_decoders_image_of_it(tmp_path):
    exp = explorer()
    plane = exp.planes[1]
    z = (0.61, 1.87)                                     # inside cell (row 4, column 10)
    row, col = plane.cell_at(z)
    assert (row, col) == (4, 10)
    px, py = pixel_of(plane, z)
    result = run_in_page(write_page(tmp_path, exp), POINT_AND_READ % dict(
        panel=1, width=plane.scatter_size[0], px=px, py=py, before=""), tmp_path / "profile")
    assert result["still"] == 0, "the script did not replace the still picture"
    assert result["plane"] == "second" and result["cell"] == f"{row},{col}"
    shown = canvas_pixels(result["png"])
    expected = quantised(PatternModel(1.3).decode(np.array([lattice(SQUARE, 16)[row, col]]))[0])
    np.testing.assert_array_equal(shown[..., 0], expected)        # grey: R = G = B = the pixel
    np.testing.assert_array_equal(shown[..., 3], 255)
    for neighbour in [(row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)]:
        assert np.abs(plane.tiles[neighbour].astype(int) - expected).mean() > 5, \
            "the test pattern must tell neighbouring cells apart"
    centre = lattice(SQUARE, 16)[row, col]
    shown_z = [float(v) for v in re.search(r"z = \((\S+), (\S+)\)", result["coords"]).groups()]
    np.testing.assert_allclose(shown_z, centre, atol=0.0051)      # printed to 2 decimals


@needs_chromium
def test_the_slider_switches_model_at_the_same_code(tmp_path):
    exp = explorer(layout="slider")
    first, second = exp.planes
    z = (-1.13, 0.2)
    row, col = second.cell_at(z)
    px, py = pixel_of(first, z)
    move_slider = """
  var slider = root.querySelector("input[type=range]");
  slider.value = 1; slider.dispatchEvent(new w.Event("input"));
  await pause(200);"""
    result = run_in_page(write_page(tmp_path, exp), POINT_AND_READ % dict(
        panel=0, width=first.scatter_size[0], px=px, py=py, before=move_slider),
        tmp_path / "profile")
    assert result["plane"] == "second"
    np.testing.assert_array_equal(canvas_pixels(result["png"])[..., 0], second.tiles[row, col])
    assert np.abs(first.tiles[row, col].astype(int) - second.tiles[row, col]).mean() > 5


@needs_chromium
def test_where_scripts_are_stripped_the_still_picture_and_its_line_are_shown(tmp_path):
    """What a sanitising viewer (GitHub, an untrusted notebook in JupyterLab) shows: every
    <script> removed, the scatter(s) and the line saying how to get the interactive version."""
    exp = explorer()
    sanitised = re.sub(r"<script\b.*?</script>", "", exp.html, flags=re.S)
    assert "<script" not in sanitised
    page = tmp_path / "sanitised.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><body>{sanitised}</body>", "utf-8")
    result = run_in_page(page, """
  var images = Array.prototype.slice.call(d.querySelectorAll("img.vt-plane"));
  return {loaded: images.map(function (i) { return i.complete && i.naturalWidth > 0; }),
          note: d.querySelector(".vt-note").innerText};""", tmp_path / "profile")
    assert result["loaded"] == [True, True]
    assert "run this cell in JupyterLab" in result["note"]
