"""The data loaders on the real MNIST and Fashion-MNIST files, and the input checks."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from vaetutor.data import (
    FASHION_MNIST_CLASS_NAMES,
    check_images,
    load_fashion_mnist,
    load_mnist,
)

# Published per-class counts of the MNIST training and test sets.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_images():
    return load_mnist()


def test_mnist_images_have_the_documented_shapes_range_and_counts(mnist_images):
    d = mnist_images
    assert d.x_train.shape == (60000, 28, 28, 1) and d.x_test.shape == (10000, 28, 28, 1)
    assert d.x_train.dtype == np.float32
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    assert np.bincount(d.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(d.y_test).tolist() == MNIST_TEST_COUNTS
    assert d.class_names == tuple("0123456789")


def test_flat_mnist_is_the_same_pixels_as_784_vectors(mnist_images):
    flat = load_mnist(flatten=True)
    assert flat.x_train.shape == (60000, 784)
    np.testing.assert_array_equal(flat.x_test, mnist_images.x_test.reshape(10000, 784))


def test_fashion_mnist_has_ten_balanced_named_classes():
    d = load_fashion_mnist(flatten=True)
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    assert 0.0 <= d.x_test.min() and d.x_test.max() <= 1.0
    assert np.bincount(d.y_train).tolist() == [6000] * 10
    assert np.bincount(d.y_test).tolist() == [1000] * 10
    assert d.class_names == FASHION_MNIST_CLASS_NAMES and d.class_names[9] == "Ankle boot"


def test_binarised_pixels_are_zero_or_one_thresholded_at_one_half(mnist_images):
    b = load_mnist(binarize=True, test_size=500, train_size=10)
    grey = load_mnist(test_size=500, train_size=10)
    assert set(np.unique(b.x_test).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(b.x_test, (grey.x_test > 0.5).astype("float32"))


def test_subsets_are_seeded_and_sized():
    a = load_mnist(train_size=1000, test_size=200, seed=5)
    b = load_mnist(train_size=1000, test_size=200, seed=5)
    c = load_mnist(train_size=1000, test_size=200, seed=6)
    assert a.x_train.shape == (1000, 28, 28, 1) and a.y_test.shape == (200,)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.y_train, c.y_train)
    with pytest.raises(ValueError, match="train_size"):
        load_mnist(train_size=0)


def test_unknown_dataset_name_is_rejected():
    from vaetutor.data import load_dataset

    with pytest.raises(ValueError, match="fashion_mnist"):
        load_dataset("cifar10")


def test_missing_data_offline_names_dataset_and_cache(tmp_path):
    """With an empty cache and no network, the error says what is missing and where."""
    script = textwrap.dedent(
        """
        from vaetutor.data import DatasetUnavailableError, load_fashion_mnist
        try:
            load_fashion_mnist()
        except DatasetUnavailableError as err:
            print(err)
        """
    )
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "http_proxy": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120)
    assert "fashion_mnist" in out.stdout, out.stderr[-2000:]
    assert os.path.join(str(tmp_path), "datasets", "fashion-mnist") in out.stdout
    assert "offline" in out.stdout
    assert not any(tmp_path.joinpath("datasets", "fashion-mnist").glob("*.gz"))


@pytest.mark.parametrize(
    "x, layout, message",
    [
        (np.full((2, 784), 255.0), "flat", "divide uint8 images by 255"),
        (np.zeros((2, 28, 28)), "any", r"\(n, 784\) or \(n, 28, 28, 1\)"),
        (np.zeros((784,)), "flat", r"add a batch axis"),
        (np.array([[np.nan] * 784]), "flat", "NaN"),
        (np.full((2, 28, 28, 1), 1.5), "image", "got min 1.5, max 1.5"),
        (np.array([["a"] * 784]), "flat", "numbers"),
    ],
)
def test_check_images_explains_what_is_wrong(x, layout, message):
    with pytest.raises(ValueError, match=message):
        check_images(x, layout=layout)


def test_check_images_accepts_valid_batches():
    x = check_images(np.linspace(0, 1, 2 * 784).reshape(2, 784), layout="flat")
    assert x.dtype == np.float32 and x.shape == (2, 784)


def test_a_damaged_file_in_the_keras_cache_is_reported_as_damaged(tmp_path, monkeypatch):
    """A truncated mnist.npz (an interrupted copy) is named as damaged, not as missing."""
    import urllib.error

    import keras.src.backend.config
    import keras.src.utils.file_utils

    from vaetutor.data import DatasetUnavailableError, keras_cache_dir

    good = os.path.join(keras_cache_dir(), "mnist.npz")  # the real cache, before the patch
    if not os.path.exists(good):
        pytest.skip(f"needs MNIST in the Keras cache ({good})")
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(tmp_path))
    assert keras_cache_dir() == os.path.join(str(tmp_path), "datasets")
    damaged = tmp_path / "datasets" / "mnist.npz"
    damaged.parent.mkdir()
    with open(good, "rb") as f:
        damaged.write_bytes(f.read(1_000_000))

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(keras.src.utils.file_utils, "urlretrieve", offline)
    with pytest.raises(DatasetUnavailableError) as err:
        load_mnist()
    message = str(err.value)
    assert "in the Keras cache but cannot be read" in message
    assert str(damaged) in message and "damaged or truncated" in message
    assert "not in the Keras cache" not in message


@pytest.mark.parametrize("x, layout", [(np.zeros((0, 784)), "flat"),
                                       (np.zeros((0, 28, 28, 1)), "image")])
def test_check_images_rejects_an_empty_batch(x, layout):
    with pytest.raises(ValueError, match="holds no images"):
        check_images(x, layout=layout)


# --- load_image_folder: a folder of image files, as a user's own data would come -------------

def _write_png(path, array):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype="uint8")).save(path)
    return path


def _digits(n, seed=0, size=(28, 28)):
    return np.random.default_rng(seed).integers(0, 256, size=(n, *size), dtype=np.uint8)


def test_a_folder_of_class_subfolders_reads_back_the_exact_pixels(tmp_path):
    from vaetutor.data import load_image_folder

    cats, dogs = _digits(3, seed=1), _digits(2, seed=2)
    for i, image in enumerate(cats):
        _write_png(tmp_path / "cat" / f"{i}.png", image)
    for i, image in enumerate(dogs):
        _write_png(tmp_path / "dog" / f"{i}.png", image)
    _write_png(tmp_path / ".hidden" / "x.png", cats[0])         # hidden: skipped
    data = load_image_folder(tmp_path)
    assert data.class_names == ("cat", "dog") and data.notes == ()
    assert data.files == ("cat/0.png", "cat/1.png", "cat/2.png", "dog/0.png", "dog/1.png")
    np.testing.assert_array_equal(data.y, [0, 0, 0, 1, 1])
    assert data.x.shape == (5, 28, 28, 1) and data.x.dtype == np.float32
    np.testing.assert_array_equal(data.x[..., 0], np.concatenate([cats, dogs]) / np.float32(255))
    check_images(data.x, layout="image")                        # what the models take
    flat = load_image_folder(tmp_path, flatten=True)
    assert flat.x.shape == (5, 784)


def test_images_directly_in_the_folder_are_one_class(tmp_path):
    from vaetutor.data import load_image_folder

    for i, image in enumerate(_digits(4)):
        _write_png(tmp_path / "mine" / f"img{i}.png", image)
    data = load_image_folder(tmp_path / "mine")
    assert data.class_names == ("mine",) and list(data.y) == [0, 0, 0, 0]


def test_other_sizes_are_resized_and_said(tmp_path):
    from PIL import Image

    from vaetutor.data import load_image_folder

    _write_png(tmp_path / "a.png", _digits(1)[0])
    big = _digits(1, seed=3, size=(40, 32))[0]                 # 40 high, 32 wide
    _write_png(tmp_path / "b.png", big)
    data = load_image_folder(tmp_path)
    assert data.x.shape == (2, 28, 28, 1)
    expected = np.asarray(Image.fromarray(big).resize((28, 28), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(data.x[1, ..., 0], expected / np.float32(255))
    assert data.notes == ("resized 1 of 2 images (32x40, width x height) to 28x28",)
    assert "note: resized 1 of 2" in repr(data)
    small = load_image_folder(tmp_path, image_size=(16, 12))
    assert small.x.shape == (2, 16, 12, 1) and "resized 2 of 2" in small.notes[0]


def test_colour_images_are_made_grey_with_the_luma_weights_and_said(tmp_path):
    from vaetutor.data import load_image_folder

    rgb = np.random.default_rng(4).integers(0, 256, size=(28, 28, 3), dtype=np.uint8)
    _write_png(tmp_path / "colour.png", rgb)
    _write_png(tmp_path / "grey.png", _digits(1)[0])
    data = load_image_folder(tmp_path)
    r, g, b = (rgb[..., k].astype(float) for k in range(3))
    luma = (299 * r + 587 * g + 114 * b) / 1000                # ITU-R 601-2, as Pillow's "L"
    assert np.abs(data.x[0, ..., 0] * 255 - luma).max() <= 1.0
    assert data.notes == ("1 of 2 images were in colour: made grey (Pillow's luma)",)


@pytest.mark.parametrize("layout, message", [
    ("missing", "no such folder of images"),
    ("file", "is a file; expected a folder"),
    ("empty", "holds no image files"),
    ("empty class", "the class folder .*b holds no image files"),
    ("not an image", "notes.txt is not an image file that Pillow can read"),
    ("mixed", "holds both files .* and subfolders"),
    ("nested", "is a folder inside the class folder"),
])
def test_bad_folders_are_refused_naming_the_file_or_folder(tmp_path, layout, message):
    from vaetutor.data import load_image_folder

    root = tmp_path / "data"
    if layout == "file":
        root.write_text("x")
    elif layout != "missing":
        root.mkdir()
    if layout == "empty class":
        _write_png(root / "a" / "0.png", _digits(1)[0])
        (root / "b").mkdir()
    if layout == "not an image":
        _write_png(root / "0.png", _digits(1)[0])
        (root / "notes.txt").write_text("not pixels")
    if layout == "mixed":
        _write_png(root / "0.png", _digits(1)[0])
        _write_png(root / "a" / "1.png", _digits(1)[0])
    if layout == "nested":
        _write_png(root / "a" / "deeper" / "1.png", _digits(1)[0])
    with pytest.raises((ValueError, OSError), match=message):
        load_image_folder(root)


def test_image_size_must_be_two_positive_integers(tmp_path):
    from vaetutor.data import load_image_folder

    _write_png(tmp_path / "0.png", _digits(1)[0])
    with pytest.raises(ValueError, match=r"image_size must be \(height, width\)"):
        load_image_folder(tmp_path, image_size=28)
