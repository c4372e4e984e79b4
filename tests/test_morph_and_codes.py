"""Morphing between codes, and held-out numbers on codes."""

import numpy as np
import pytest
from keras import ops

from vaetutor.conv import build_conv_mmd_vae
from vaetutor.evaluation import code_mmd_to_prior, reconstruction_mse
from vaetutor.morph import interpolate, morph_images, plot_morph_strips


def test_interpolation_runs_from_start_to_end_in_equal_steps():
    path = interpolate([0.0, 2.0], [4.0, -2.0], steps=5)
    np.testing.assert_allclose(path, [[0, 2], [1, 1], [2, 0], [3, -1], [4, -2]])
    with pytest.raises(ValueError, match="steps"):
        interpolate([0.0], [1.0], steps=1)
    with pytest.raises(ValueError, match="one shape"):
        interpolate([0.0, 1.0], [1.0], steps=3)


def test_morph_starts_and_ends_at_the_reconstructions():
    model = build_conv_mmd_vae(seed=0)
    x = np.random.default_rng(0).uniform(size=(2, 28, 28, 1)).astype("float32")
    images = morph_images(model, x[0], x[1], steps=6)
    assert images.shape == (6, 28, 28)
    np.testing.assert_allclose(images[0], model.reconstruct(x[:1])[0, :, :, 0], atol=1e-5)
    np.testing.assert_allclose(images[-1], model.reconstruct(x[1:])[0, :, :, 0], atol=1e-5)
    fig = plot_morph_strips({"a": model, "b": model}, [(x[0], x[1])], steps=6)
    assert len(fig.axes) == 2 * 6


def test_code_mmd_is_small_for_prior_samples_and_large_for_shifted_codes():
    rng = np.random.default_rng(0)
    prior_like, _ = code_mmd_to_prior(rng.standard_normal((5000, 2)), n=1000)
    shifted, _ = code_mmd_to_prior(rng.standard_normal((5000, 2)) + 3, n=1000)
    assert prior_like < 0.01 < shifted


def test_reconstruction_mse_matches_a_direct_computation():
    model = build_conv_mmd_vae(seed=0)
    x = np.random.default_rng(1).uniform(size=(20, 28, 28, 1)).astype("float32")
    expected = np.mean((model.decode(model.encode(x)) - x) ** 2)
    np.testing.assert_allclose(reconstruction_mse(model, x), expected, rtol=1e-6)


def test_bernoulli_loss_floor_closed_forms_and_a_lower_bound():
    from vaetutor.evaluation import bernoulli_loss_floor
    from vaetutor.losses import bernoulli_log_likelihood

    half = np.full((3, 28, 28, 1), 0.5)
    assert np.isclose(bernoulli_loss_floor(half), 784 * np.log(2))
    binary = (np.random.default_rng(0).uniform(size=(4, 784)) > 0.5).astype("float32")
    assert bernoulli_loss_floor(binary) == 0.0
    # x = 0.2 everywhere: H(0.2) per pixel
    h = -(0.2 * np.log(0.2) + 0.8 * np.log(0.8))
    assert np.isclose(bernoulli_loss_floor(np.full((2, 10), 0.2)), 10 * h)
    # no decoder output does better than the floor, and p = x reaches it
    x = np.random.default_rng(1).uniform(0.01, 0.99, size=(5, 784)).astype("float32")
    floor = bernoulli_loss_floor(x)
    for logits in (np.zeros_like(x), np.log(x / (1 - x)) + 0.3, np.log(x / (1 - x))):
        loss = -np.mean(ops.convert_to_numpy(bernoulli_log_likelihood(x, logits)))
        assert loss >= floor - 1e-3
    assert np.isclose(-np.mean(ops.convert_to_numpy(bernoulli_log_likelihood(x, np.log(x / (1 - x))))),
                      floor, rtol=1e-4)


def test_bernoulli_loss_floor_rejects_values_outside_0_1():
    from vaetutor.evaluation import bernoulli_loss_floor

    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bernoulli_loss_floor(np.full((2, 4), 1.5))
