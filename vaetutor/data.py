"""MNIST and Fashion-MNIST as float32 arrays in [0, 1], plus the input checks the package uses.

Data comes through ``keras.datasets``: the normal Keras download and cache
(``$KERAS_HOME/datasets``, ``~/.keras/datasets`` by default). To work offline, put the files in
that cache first; :class:`DatasetUnavailableError` says where when they are missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

IMAGE_SHAPE = (28, 28, 1)
#: training images in MNIST and in Fashion-MNIST (each also has 10,000 test images)
TRAIN_IMAGES = 60_000
FLAT_DIM = 28 * 28

MNIST_CLASS_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# Where each dataset lives inside the Keras cache folder ($KERAS_HOME/datasets).
_CACHE_FILES = {
    "mnist": ("mnist.npz",),
    "fashion_mnist": tuple(
        f"fashion-mnist/{stem}.gz"
        for stem in (
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
        )
    ),
}
_CLASS_NAMES = {"mnist": MNIST_CLASS_NAMES, "fashion_mnist": FASHION_MNIST_CLASS_NAMES}


class DatasetUnavailableError(OSError):
    """The dataset is neither in the Keras cache nor downloadable (for example offline)."""


@dataclass(frozen=True)
class ImageDataset:
    """Train and test splits of an image dataset, pixels as float32 in [0, 1].

    ``x_*`` have shape ``(n, 784)`` when flat or ``(n, 28, 28, 1)`` as images; ``y_*`` are
    integer class labels of shape ``(n,)``; ``class_names[label]`` names a class.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    def __repr__(self) -> str:
        return (
            f"ImageDataset({self.name!r}, x_train={self.x_train.shape}, "
            f"x_test={self.x_test.shape}, {len(self.class_names)} classes)"
        )


def keras_cache_dir() -> str:
    """The folder where ``keras.datasets`` looks for (and downloads) dataset files."""
    import keras

    home = None
    config = getattr(keras, "config", None)
    if config is not None and hasattr(config, "keras_home"):
        home = config.keras_home()
    if home is None:  # older Keras 3 releases keep it internal
        from keras.src.backend.config import keras_home

        home = keras_home()
    return os.path.join(home, "datasets")


def _download_and_cache(name: str):
    import keras

    loader = {
        "mnist": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
    }[name]
    cache = keras_cache_dir()
    present = [os.path.join(cache, f) for f in _CACHE_FILES[name]
               if os.path.exists(os.path.join(cache, f))]
    try:
        return loader()
    except Exception as err:  # noqa: BLE001 - Keras raises bare Exception on URL failures
        if len(present) == len(_CACHE_FILES[name]):
            raise DatasetUnavailableError(
                f"The {name} files are in the Keras cache but cannot be read "
                f"({type(err).__name__}: {err}).\n"
                f"Files: {', '.join(present)}.\n"
                "One of them is probably damaged or truncated: replace it with a good copy, or "
                "delete it so that Keras downloads it again."
            ) from err
        expected = ", ".join(os.path.join(cache, f) for f in _CACHE_FILES[name])
        raise DatasetUnavailableError(
            f"Could not load the {name} dataset: it is not in the Keras cache and downloading it "
            f"failed ({type(err).__name__}: {err}).\n"
            f"Searched the cache folder {cache} for: {expected}.\n"
            "To work offline, copy the files there (or set KERAS_HOME to a writable folder whose "
            "datasets/ subfolder holds them) before importing keras; online, check the network."
        ) from err


def load_dataset(
    name: str,
    *,
    flatten: bool = False,
    binarize: bool = False,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
) -> ImageDataset:
    """Load ``"mnist"`` or ``"fashion_mnist"`` as float32 pixels in [0, 1].

    Args:
        flatten: images as 784-vectors ``(n, 784)`` instead of ``(n, 28, 28, 1)``.
        binarize: fixed binarisation, pixel -> 1.0 if > 0.5 else 0.0 (the same every call,
            unlike stochastic binarisation), so that a Bernoulli likelihood is exact.
        train_size, test_size: keep a random subset of that many examples of each split,
            drawn without replacement with ``seed`` (order kept); ``None`` keeps all.
    """
    if name not in _CACHE_FILES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(_CACHE_FILES)}")
    (x_train, y_train), (x_test, y_test) = _download_and_cache(name)
    rng = np.random.default_rng(seed)
    x_train, y_train = _subset(x_train, y_train, train_size, rng, "train_size")
    x_test, y_test = _subset(x_test, y_test, test_size, rng, "test_size")

    def prepare(x):
        x = x.astype("float32") / 255.0
        if binarize:
            x = (x > 0.5).astype("float32")
        return x.reshape((len(x), FLAT_DIM) if flatten else (len(x), *IMAGE_SHAPE))

    return ImageDataset(
        name=name,
        x_train=prepare(x_train),
        y_train=y_train.astype("int64"),
        x_test=prepare(x_test),
        y_test=y_test.astype("int64"),
        class_names=_CLASS_NAMES[name],
    )


def load_mnist(**kwargs) -> ImageDataset:
    """MNIST handwritten digits; see :func:`load_dataset` for the options."""
    return load_dataset("mnist", **kwargs)


def load_fashion_mnist(**kwargs) -> ImageDataset:
    """Fashion-MNIST clothing images; see :func:`load_dataset` for the options."""
    return load_dataset("fashion_mnist", **kwargs)


def _subset(x, y, size, rng, what):
    if size is None:
        return x, y
    if not isinstance(size, (int, np.integer)) or not 0 < size <= len(x):
        raise ValueError(f"{what} must be an integer in [1, {len(x)}]; got {size!r}")
    keep = np.sort(rng.choice(len(x), size=int(size), replace=False))
    return x[keep], y[keep]


def check_images(x, *, layout: str = "any", name: str = "x") -> np.ndarray:
    """Check a batch of images and return it as a float32 NumPy array.

    Args:
        layout: ``"flat"`` for ``(n, 784)``, ``"image"`` for ``(n, 28, 28, 1)``, ``"any"`` for
            either.

    Raises:
        ValueError: wrong shape, NaN or infinite values, or pixels outside [0, 1].
    """
    shapes = {"flat": [(FLAT_DIM,)], "image": [IMAGE_SHAPE], "any": [(FLAT_DIM,), IMAGE_SHAPE]}
    if layout not in shapes:
        raise ValueError(f"layout must be one of {sorted(shapes)}; got {layout!r}")
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{name} must hold numbers; got dtype {x.dtype}")
    x = x.astype("float32", copy=False)
    expected = shapes[layout]
    if x.ndim < 2 or tuple(x.shape[1:]) not in expected:
        wanted = " or ".join("(n, " + ", ".join(map(str, s)) + ")" for s in expected)
        raise ValueError(
            f"{name} must have shape {wanted} (a batch of 28x28 images); got {x.shape}"
            + (" - add a batch axis with x[None]" if tuple(x.shape) in expected else "")
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains {int(np.sum(~np.isfinite(x)))} NaN or infinite values")
    if len(x) == 0:
        raise ValueError(f"{name} holds no images (shape {x.shape}); expected at least one")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        looks_like_uint8 = hi <= 255.0 and lo >= 0.0 and np.array_equal(x, np.round(x))
        hint = " - divide uint8 images by 255" if looks_like_uint8 else ""
        raise ValueError(f"{name}: pixel values must be in [0, 1]; got min {lo}, max {hi}{hint}")
    return x


@dataclass(frozen=True)
class ImageFolder:
    """Images read from a folder by :func:`load_image_folder`, as float32 pixels in [0, 1].

    ``x``: ``(n, height, width, 1)``, or ``(n, height * width)`` when flat; ``y``: ``(n,)``, each
    image's class as an index into ``class_names`` (the subfolders' names, sorted; one class
    named after the folder when the images sit in it directly); ``files``: each image's path
    relative to ``folder``, in the order of ``x``; ``notes``: what was changed on the way in
    (images resized, colour made grey), empty when nothing was.
    """

    folder: str
    x: np.ndarray
    y: np.ndarray
    class_names: tuple
    files: tuple
    notes: tuple

    def __repr__(self) -> str:
        lines = [f"ImageFolder({self.folder!r}: {len(self.x):,} images {self.x.shape[1:]}, "
                 f"{len(self.class_names)} classes {list(self.class_names)[:10]})"]
        return "\n".join(lines + [f"  note: {note}" for note in self.notes])


def load_image_folder(folder, *, image_size=(28, 28), flatten: bool = False) -> ImageFolder:
    """Read every image file in ``folder`` as grey float32 pixels in [0, 1] (pixel / 255).

    Either the images sit directly in ``folder`` (one class), or ``folder`` holds one subfolder
    per class with the images inside (hidden files and folders, whose names start with ".",
    are skipped). Each file is opened with Pillow; an image of another size is resized to
    ``image_size`` = (height, width) (Lanczos filter) and a colour image is made grey with
    Pillow's luma L = (299 R + 587 G + 114 B) / 1000; ``notes`` of the result say how many. A
    file Pillow cannot read, an empty folder, or files beside class subfolders are errors that
    name the file or folder.
    """
    from pathlib import Path

    from PIL import Image, UnidentifiedImageError  # installed with matplotlib

    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"no such folder of images: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file; expected a folder of image files (or of "
                                 "one subfolder of image files per class)")
    if (not isinstance(image_size, (tuple, list)) or len(image_size) != 2
            or not all(isinstance(v, (int, np.integer)) and v > 0 for v in image_size)):
        raise ValueError(f"image_size must be (height, width), two positive integers; "
                         f"got {image_size!r}")
    height, width = (int(v) for v in image_size)

    def visible(path):
        return sorted(p for p in path.iterdir() if not p.name.startswith("."))

    entries = visible(root)
    folders = [p for p in entries if p.is_dir()]
    files = [p for p in entries if not p.is_dir()]
    if folders and files:
        raise ValueError(f"{root} holds both files ({files[0].name}, ...) and subfolders "
                         f"({folders[0].name}, ...): put the images either directly in it or "
                         "in one subfolder per class, not both")
    classes = [(p.name, visible(p)) for p in folders] if folders else [(root.name, files)]
    if not any(members for _, members in classes):
        raise ValueError(f"{root} holds no image files (expected .png, .jpg, ... files in it, "
                         "or in one subfolder per class)")
    pixels, labels, names, resized, coloured = [], [], [], {}, 0
    for label, (class_name, members) in enumerate(classes):
        if not members:
            raise ValueError(f"the class folder {root / class_name} holds no image files")
        for path in members:
            if path.is_dir():
                raise ValueError(f"{path} is a folder inside the class folder {path.parent}; "
                                 "expected image files only (one level of class subfolders)")
            try:
                with Image.open(path) as image:
                    image.load()
                    rgb = image.convert("RGB")
            except (UnidentifiedImageError, OSError) as err:
                raise ValueError(f"{path} is not an image file that Pillow can read: {err}") \
                    from None
            channels = np.asarray(rgb)
            if not (np.array_equal(channels[..., 0], channels[..., 1])
                    and np.array_equal(channels[..., 1], channels[..., 2])):
                coloured += 1
            grey = rgb.convert("L")
            if grey.size != (width, height):
                resized[grey.size] = resized.get(grey.size, 0) + 1
                grey = grey.resize((width, height), Image.Resampling.LANCZOS)
            pixels.append(np.asarray(grey, dtype="float32") / 255.0)
            labels.append(label)
            names.append(path.relative_to(root).as_posix())
    n = len(pixels)
    notes = []
    if resized:
        sizes = ", ".join(f"{w}x{h}" for (w, h) in sorted(resized))
        notes.append(f"resized {sum(resized.values()):,} of {n:,} images ({sizes}, width x "
                     f"height) to {width}x{height}")
    if coloured:
        notes.append(f"{coloured:,} of {n:,} images were in colour: made grey (Pillow's luma)")
    x = np.stack(pixels)[..., None]
    return ImageFolder(str(root), x.reshape(n, -1) if flatten else x,
                       np.asarray(labels, dtype="int64"), tuple(c for c, _ in classes),
                       tuple(names), tuple(notes))


def write_image_folder(x, y, class_names, folder) -> int:
    """Write images as PNG files, one subfolder per class: ``folder/<class>/<index>.png``.

    ``x``: ``(n, 28, 28[, 1])`` or ``(n, 784)`` pixels in [0, 1], stored as 8-bit grey
    (round(255 x)), so :func:`load_image_folder` reads back exactly ``round(255 x) / 255``;
    ``y``: ``(n,)`` class indices into ``class_names``. The folder must not exist yet (no file
    of a user's is ever overwritten). Returns the number of files written.
    """
    from pathlib import Path

    from PIL import Image

    root = Path(folder)
    if root.exists():
        raise FileExistsError(f"{root} exists; write_image_folder writes a new folder only "
                              "(choose another path or remove that one)")
    x = check_images(x, name="x")
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or \
            (len(y) and (y.min() < 0 or y.max() >= len(class_names))):
        raise ValueError(f"y must hold {len(x)} class indices in [0, {len(class_names)}); got "
                         f"shape {y.shape}, dtype {y.dtype}")
    pixels = np.rint(x.reshape(len(x), 28, 28) * 255).astype("uint8")
    for index, (image, label) in enumerate(zip(pixels, y)):
        target = root / str(class_names[label]).replace("/", "-")
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image, mode="L").save(target / f"{index:05d}.png")
    return len(x)


def split_image_folder(images: ImageFolder, test_size: int, seed: int = 0) -> ImageDataset:
    """An :class:`ImageDataset` from a loaded folder: ``test_size`` images drawn at random
    (``numpy.random.default_rng(seed)``) held out as the test set, the rest for training."""
    n = len(images.x)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, np.integer)) or \
            not 0 < test_size < n:
        raise ValueError(f"test_size must be an integer between 1 and {n - 1} (the folder "
                         f"{images.folder} holds {n} images); got {test_size!r}")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:test_size], order[test_size:]
    return ImageDataset(f"image folder {images.folder}", images.x[train], images.y[train],
                        images.x[test], images.y[test], tuple(images.class_names))
