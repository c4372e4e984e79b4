"""Morphing between codes."""

import numpy as np
import pytest

from vaetutor.conv import build_conv_mmd_vae
from vaetutor.morph import (different_class_pairs, interpolate, morph_images, morph_smoothness,
                            plot_morph_strips)


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
    assert len(fig.axes) == 2 * (6 + 2)  # the two originals frame each row
    first_row = fig.axes[:8]
    np.testing.assert_allclose(first_row[0].images[0].get_array(), x[0, :, :, 0])
    np.testing.assert_allclose(first_row[-1].images[0].get_array(), x[1, :, :, 0])
    np.testing.assert_allclose(first_row[1].images[0].get_array(), images[0], atol=1e-5)


class _LinearDecoder:
    """encode: the mean of the first two pixels' halves; decode: a fixed linear map of z, or
    (``jump``) a step function of z[0]: morphs of known smoothness."""

    def __init__(self, jump=False):
        rng = np.random.default_rng(0)
        self.a, self.b = rng.uniform(size=(2, 784))
        self.jump = jump

    def encode(self, x, batch_size=None):
        x = x.reshape(len(x), -1)
        return np.stack([x[:, :392].mean(axis=1), x[:, 392:].mean(axis=1)], axis=1)

    def decode(self, z, batch_size=None):
        u = (z[:, :1] > 0.5).astype("float64") if self.jump else z[:, :1]
        return u * self.a + z[:, 1:] * self.b


def test_a_straight_morph_has_ratio_one_and_equal_steps():
    x_start = np.zeros((4, 28, 28, 1), "float32")
    x_end = np.random.default_rng(1).uniform(size=(4, 28, 28, 1)).astype("float32")
    result = morph_smoothness(_LinearDecoder(), x_start, x_end, steps=6)
    np.testing.assert_allclose(result["path_ratio"], 1.0, rtol=1e-5)
    np.testing.assert_allclose(result["largest_step"], 1 / 5, rtol=1e-5)


def test_a_morph_that_jumps_or_detours_scores_worse():
    x_start = np.zeros((3, 28, 28, 1), "float32")
    x_end = np.ones((3, 28, 28, 1), "float32")
    jump = morph_smoothness(_LinearDecoder(jump=True), x_start, x_end, steps=5)
    # z runs from (0, 0) to (1, 1): the first half of the change comes in one jump at z[0] > 0.5
    assert np.all(jump["largest_step"] > 0.4)

    class Detour(_LinearDecoder):   # passes through a third image halfway
        def decode(self, z, batch_size=None):
            bump = np.sin(np.pi * z[:, :1]) * 3 * self.b[::-1]
            return super().decode(z) + bump

    detour = morph_smoothness(Detour(), x_start, x_end, steps=9)
    assert np.all(detour["path_ratio"] > 1.5)


def test_morph_smoothness_rejects_bad_pairs():
    x = np.zeros((2, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match="one shape"):
        morph_smoothness(_LinearDecoder(), x, x[:1])
    with pytest.raises(ValueError, match="steps"):
        morph_smoothness(_LinearDecoder(), x, x + 1, steps=2)
    with pytest.raises(ValueError, match="same image at both ends"):
        morph_smoothness(_LinearDecoder(), x, x)


def test_pairs_are_of_different_classes_and_repeatable():
    labels = np.array([0, 0, 0, 1, 2, 2])
    first, second = different_class_pairs(labels, 50, seed=3)
    assert len(first) == 50 and np.all(labels[first] != labels[second])
    again = different_class_pairs(labels, 50, seed=3)
    np.testing.assert_array_equal(first, again[0])
    with pytest.raises(ValueError, match="two classes"):
        different_class_pairs(np.zeros(5), 3)


def test_pairs_from_one_generator_continue_its_stream():
    # Notebook 05 draws its Fashion-MNIST and then its MNIST pairs from one generator.
    labels = np.array([0, 1, 2, 3] * 25)
    generator = np.random.default_rng(2)
    first_call = different_class_pairs(labels, 5, seed=generator)
    second_call = different_class_pairs(labels, 5, seed=generator)
    assert not np.array_equal(first_call[0], second_call[0])
    # The same draws as one call for all ten pairs from a fresh generator with that seed.
    together = different_class_pairs(labels, 10, seed=2)
    np.testing.assert_array_equal(np.concatenate([first_call[0], second_call[0]]), together[0])
    np.testing.assert_array_equal(np.concatenate([first_call[1], second_call[1]]), together[1])
