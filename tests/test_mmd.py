"""The MMD and its kernel, and the MMD-VAE."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from vaetutor.conv import build_conv_encoder, build_conv_mmd_vae
from vaetutor.losses import gaussian_kernel_matrix, maximum_mean_discrepancy
from vaetutor.seeding import seed_everything


def mmd(x, y):
    return float(maximum_mean_discrepancy(x.astype("float32"), y.astype("float32")))


def test_kernel_matches_a_direct_double_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    expected = [[math.exp(-sum((a - b) ** 2 for a, b in zip(xi, yj)) / 3 / 3) for yj in y]
                for xi in x]
    got = ops.convert_to_numpy(gaussian_kernel_matrix(x.astype("float32"), y.astype("float32")))
    assert got.shape == (5, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_kernel_bandwidth_is_dimension_squared():
    x = np.zeros((1, 4), "float32")
    y = np.full((1, 4), 2.0, "float32")  # ||x - y||^2 = 16, d^2 = 16
    np.testing.assert_allclose(ops.convert_to_numpy(gaussian_kernel_matrix(x, y)), [[math.exp(-1)]],
                               rtol=1e-6)


def test_mmd_of_a_sample_with_itself_is_zero_and_mmd_is_symmetric():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(200, 2)) + 1
    assert abs(mmd(x, x)) < 1e-6
    np.testing.assert_allclose(mmd(x, y), mmd(y, x), rtol=1e-5)


def test_mmd_is_near_zero_for_one_distribution_and_grows_with_the_distance():
    rng = np.random.default_rng(2)
    same = mmd(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)))
    shifted = [mmd(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) + [delta, 0])
               for delta in (0.5, 1.0, 2.0, 4.0)]
    assert 0 <= same < 0.01
    assert same < shifted[0] and all(a < b for a, b in zip(shifted, shifted[1:])), shifted


def test_code_encoder_returns_one_code_per_image():
    z = build_conv_encoder(latent_dim=3, gaussian=False)(np.zeros((2, 28, 28, 1), "float32"))
    assert z.shape == (2, 3)


def test_mmd_vae_trains_reports_both_terms_and_reloads(tmp_path):
    seed_everything(0)
    x = (np.random.default_rng(0).uniform(size=(128, 28, 28, 1)) ** 4).astype("float32")
    model = build_conv_mmd_vae(seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    history = model.fit(x, batch_size=32, epochs=5, verbose=0)
    assert set(history.history) == {"loss", "reconstruction_loss", "mmd_loss"}
    after = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"]
    decoded = model.decode(np.zeros((3, 2), "float32"))
    assert decoded.shape == (3, 28, 28, 1) and 0 < decoded.min() and decoded.max() < 1
    model.save(tmp_path / "mmd.keras")
    loaded = keras.models.load_model(tmp_path / "mmd.keras")
    assert type(loaded).__name__ == "MMDVAE"
    np.testing.assert_array_equal(loaded.encode(x), model.encode(x))
    with pytest.raises(ValueError, match="mmd_weight"):
        build_conv_mmd_vae().__class__(model.encoder, model.decoder, mmd_weight=-1)
