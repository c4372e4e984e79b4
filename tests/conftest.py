"""Shared set-up: quiet TensorFlow, no figures left open, and small data, runs and models.

Small in-memory datasets stand in for MNIST so that training tests take seconds; models "far
from the prior" have encoders whose codes sit around z_mean ~ (2.5, -3) with z_log_var ~ -2,
so that the KL is large and a wrong sign or a wrong standard deviation changes the numbers.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from vaetutor.data import ImageDataset  # noqa: E402
from vaetutor.settings import Run  # noqa: E402
from vaetutor.seeding import seed_everything  # noqa: E402

#: where the codes of the far-from-prior models sit, and their log-variances
FAR_MEAN = np.array([2.5, -3.0], "float32")
FAR_LOG_VAR = np.array([-2.0, -2.5], "float32")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def make_images(n, *, flat, seed=0):
    """``n`` images in [0, 1] with dark backgrounds and a bright bar: structure a model learns."""
    rng = np.random.default_rng(seed)
    x = (rng.uniform(size=(n, 28, 28)) ** 4).astype("float32")
    rows = rng.integers(4, 22, size=n)
    for i, row in enumerate(rows):
        x[i, row:row + 3, 4:24] = 1.0
    return x.reshape(n, 784) if flat else x[..., None]


def make_dataset(n_train=256, n_test=64, *, flat=True, seed=0) -> ImageDataset:
    """A small :class:`ImageDataset` of :func:`make_images`, three classes."""
    rng = np.random.default_rng(seed + 1)
    return ImageDataset("tiny", make_images(n_train, flat=flat, seed=seed),
                        rng.integers(0, 3, n_train), make_images(n_test, flat=flat, seed=seed + 2),
                        rng.integers(0, 3, n_test), ("a", "b", "c"))


@pytest.fixture(scope="session")
def tiny_flat_data() -> ImageDataset:
    """256 training and 64 test images as 784-vectors (for the MLP runs)."""
    return make_dataset(flat=True)


@pytest.fixture(scope="session")
def tiny_run() -> Run:
    """The MLP VAE, 2 latent dimensions and 8 hidden units: 3 epochs of 256 images."""
    return Run(name="tiny_mlp", model="mlp_vae", dataset="mnist", flatten=True, epochs=3,
               batch_size=64, learning_rate=1e-3, seed=0, train_size=256,
               model_args=dict(latent_dim=2, seed=0, hidden_units=[8]))


def set_dense(layer, bias, rng, scale=0.05):
    """Give a Dense layer the ``bias`` and a small random kernel (codes vary a little with x)."""
    kernel, _ = layer.get_weights()
    layer.set_weights([(scale * rng.standard_normal(kernel.shape)).astype("float32"),
                       np.asarray(bias, "float32")])


@pytest.fixture
def far_mlp_vae():
    """An MLP VAE (16 hidden units) whose codes are far from the prior N(0, I)."""
    from vaetutor.mlp import build_mlp_vae

    seed_everything(0)
    model = build_mlp_vae(hidden_units=(16,), seed=1)
    model(np.zeros((1, 784), "float32"))
    rng = np.random.default_rng(0)
    set_dense(model.encoder.get_layer("z_mean"), FAR_MEAN, rng)
    set_dense(model.encoder.get_layer("z_log_var"), FAR_LOG_VAR, rng)
    return model


@pytest.fixture
def far_conv_vae():
    """The convolutional (Monte-Carlo) VAE with codes far from the prior."""
    from vaetutor.conv import build_conv_vae

    seed_everything(0)
    model = build_conv_vae(seed=1)
    model(np.zeros((1, 28, 28, 1), "float32"))
    set_dense(model.encoder.get_layer("mean_and_log_var"), np.concatenate([FAR_MEAN, FAR_LOG_VAR]),
              np.random.default_rng(0), scale=0.01)
    return model


def build_flat_mmd_vae(mmd_weight=1.0, seed=0, code_bias=(3.0, -3.0)):
    """An MMD-VAE with one Dense layer each way (784 -> 2 -> 784): the loss without the cost of
    convolutions. Its codes sit around ``code_bias``."""
    from vaetutor.mmd import MMDVAE

    seed_everything(seed)
    x = keras.Input((784,))
    encoder = keras.Model(x, keras.layers.Dense(2, name="z")(x))
    z = keras.Input((2,))
    decoder = keras.Model(z, keras.layers.Dense(784, activation="sigmoid")(z))
    model = MMDVAE(encoder, decoder, mmd_weight=mmd_weight, seed=seed)
    model(np.zeros((1, 784), "float32"))
    set_dense(encoder.get_layer("z"), code_bias, np.random.default_rng(seed), scale=0.1)
    return model


@pytest.fixture(scope="session")
def dataset_factory():
    """:func:`make_dataset`, for tests that need other sizes or the image layout."""
    return make_dataset


@pytest.fixture(scope="session")
def mmd_vae_factory():
    """:func:`build_flat_mmd_vae`."""
    return build_flat_mmd_vae
