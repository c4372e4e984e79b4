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


def numpy_mmd(a, b):
    """The InfoVAE MMD in float64: k(x, y) = exp(-mean_d((x - y)^2) / d), every pair counted,
    the diagonal included."""
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    d = a.shape[1]

    def mean_kernel(p, q):
        return np.mean(np.exp(-np.mean((p[:, None, :] - q[None, :, :]) ** 2, -1) / d))

    return mean_kernel(a, a) + mean_kernel(b, b) - 2 * mean_kernel(a, b)


@pytest.fixture
def prior_draws(monkeypatch):
    """Records every ``keras.random.normal`` draw (the MMD-VAE's prior samples) as NumPy."""
    draws = []
    normal = keras.random.normal

    def recording_normal(*args, **kwargs):
        sample = normal(*args, **kwargs)
        draws.append(ops.convert_to_numpy(sample).astype("float64"))
        return sample

    monkeypatch.setattr(keras.random, "normal", recording_normal)
    return draws


@pytest.mark.parametrize("mmd_weight", [0.0, 1.0, 3.0])
def test_mmd_vae_loss_is_mean_squared_error_plus_weighted_mmd(mmd_vae_factory, prior_draws,
                                                              mmd_weight):
    model = mmd_vae_factory(mmd_weight=mmd_weight)
    x = (np.random.default_rng(0).uniform(size=(64, 784)) ** 4).astype("float32")
    outputs = model(x)
    terms = {k: ops.convert_to_numpy(v).astype("float64")
             for k, v in model.loss_terms(x, outputs).items()}
    (prior,) = prior_draws
    z = ops.convert_to_numpy(outputs["z"]).astype("float64")
    assert prior.shape == z.shape
    reconstruction = np.mean((x - ops.convert_to_numpy(outputs["x_reconstructed"])) ** 2, axis=1)
    mmd = numpy_mmd(z, prior)
    assert mmd > 0.3  # codes around (3, -3): far from the prior, so the weight shows
    np.testing.assert_allclose(terms["reconstruction_loss"], reconstruction, rtol=1e-5)
    np.testing.assert_allclose(terms["mmd_loss"], np.full(64, mmd), rtol=1e-4)
    np.testing.assert_allclose(terms["loss"], reconstruction + mmd_weight * mmd, rtol=1e-4)
    loss = float(ops.convert_to_numpy(model.compute_loss(x=x, y_pred=outputs)))
    np.testing.assert_allclose(loss, reconstruction.mean() + mmd_weight * numpy_mmd(
        z, prior_draws[1]), rtol=1e-4)


def test_mmd_vae_draws_its_prior_samples_from_a_standard_normal(mmd_vae_factory, prior_draws):
    model = mmd_vae_factory()
    x = np.zeros((4000, 784), "float32")
    outputs = model(x)
    model.loss_terms(x, outputs)
    model.loss_terms(x, outputs)
    first, second = prior_draws
    assert first.shape == (4000, 2)
    np.testing.assert_allclose(first.mean(0), 0.0, atol=4 / np.sqrt(4000))
    np.testing.assert_allclose(first.std(0), 1.0, rtol=0.05)
    assert not np.array_equal(first, second)  # fresh samples each batch


def test_mmd_vae_with_the_same_seed_draws_the_same_prior_samples(mmd_vae_factory, prior_draws):
    x = np.zeros((10, 784), "float32")
    for _ in range(2):
        model = mmd_vae_factory(seed=4)
        model.loss_terms(x, model(x))
    np.testing.assert_array_equal(prior_draws[0], prior_draws[1])


@pytest.mark.parametrize("bad, message", [
    ("1", "mmd_weight must be a number >= 0 .* got '1' of type str"),
    (-1, "mmd_weight must be a finite number >= 0; got -1"),
    (float("nan"), "mmd_weight must be a finite number >= 0"),
])
def test_an_mmd_weight_that_is_not_a_number_at_least_0_is_rejected(mmd_vae_factory, bad, message):
    with pytest.raises(ValueError, match=message):
        mmd_vae_factory(mmd_weight=bad)


def test_code_encoder_returns_one_code_per_image():
    z = build_conv_encoder(latent_dim=3, gaussian=False)(np.zeros((2, 28, 28, 1), "float32"))
    assert z.shape == (2, 3)


def test_mmd_vae_trains_reports_both_terms_and_reloads(tmp_path):
    seed_everything(0)
    x = (np.random.default_rng(0).uniform(size=(128, 28, 28, 1)) ** 4).astype("float32")
    model = build_conv_mmd_vae(seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    history = model.fit(x, batch_size=32, epochs=3, verbose=0)
    assert set(history.history) == {"loss", "reconstruction_loss", "mmd_loss"}
    after = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    # the reconstruction term is a function of the weights alone; the MMD term of one batch
    # also depends on that call's prior draw, too noisy to compare before and after
    assert after["reconstruction_loss"] < before["reconstruction_loss"], (before, after)
    decoded = model.decode(np.zeros((3, 2), "float32"))
    assert decoded.shape == (3, 28, 28, 1) and 0 < decoded.min() and decoded.max() < 1
    model.save(tmp_path / "mmd.keras")
    loaded = keras.models.load_model(tmp_path / "mmd.keras")
    assert type(loaded).__name__ == "MMDVAE"
    np.testing.assert_array_equal(loaded.encode(x), model.encode(x))
