"""Morphing between codes."""

import numpy as np
import pytest

from vaetutor.conv import build_conv_mmd_vae
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
