"""The ELBO's terms against closed forms and independent computations."""

import math
from statistics import NormalDist

import numpy as np
import pytest
from keras import ops

from vaetutor.losses import (
    bernoulli_log_likelihood,
    binary_cross_entropy_sum,
    gaussian_kernel_matrix,
    gaussian_log_density,
    kl_to_standard_normal,
    maximum_mean_discrepancy,
    squared_error_per_pixel,
)


def np_(t):
    return ops.convert_to_numpy(t).astype("float64")


def test_kl_of_standard_normal_is_zero():
    zeros = np.zeros((5, 3), "float32")
    np.testing.assert_allclose(np_(kl_to_standard_normal(zeros, zeros)), 0.0, atol=1e-7)


def test_kl_matches_closed_form_per_dimension():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(64, 4)).astype("float32")
    log_var = rng.normal(size=(64, 4)).astype("float32")
    var = np.exp(log_var.astype("float64"))
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2)/2 - 1/2, summed over dimensions
    expected = np.sum(-0.5 * np.log(var) + 0.5 * (var + mean.astype("float64") ** 2) - 0.5, -1)
    got = np_(kl_to_standard_normal(mean, log_var))
    assert got.shape == (64,)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.all(got > 0)


def test_monte_carlo_kl_matches_analytic_kl():
    """E_q[log q(z|x) - log p(z)] estimated from samples agrees within 4 standard errors."""
    rng = np.random.default_rng(1)
    mean = np.array([[0.7, -1.2]], "float32")
    log_var = np.array([[-0.5, 0.4]], "float32")
    n = 200_000
    z = (mean + np.exp(0.5 * log_var) * rng.standard_normal((n, 2))).astype("float32")
    log_q = np_(gaussian_log_density(z, np.repeat(mean, n, 0), np.repeat(log_var, n, 0)))
    log_p = np_(gaussian_log_density(z, 0.0, 0.0))
    samples = log_q - log_p
    estimate, standard_error = samples.mean(), samples.std(ddof=1) / math.sqrt(n)
    analytic = np_(kl_to_standard_normal(mean, log_var))[0]
    assert abs(estimate - analytic) < 4 * standard_error, (estimate, analytic, standard_error)


def test_gaussian_log_density_matches_product_of_univariate_densities():
    rng = np.random.default_rng(2)
    z, mean = rng.normal(size=(2, 10, 3))
    log_var = rng.uniform(-1, 1, size=(10, 3))
    expected = [
        sum(math.log(NormalDist(m, math.exp(0.5 * lv)).pdf(v)) for v, m, lv in zip(*row))
        for row in zip(z, mean, log_var)
    ]
    got = np_(gaussian_log_density(z.astype("float32"), mean.astype("float32"),
                                   log_var.astype("float32")))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_gaussian_log_density_of_standard_normal_at_origin():
    z = np.zeros((1, 2), "float32")
    np.testing.assert_allclose(np_(gaussian_log_density(z, 0.0, 0.0)), [-math.log(2 * math.pi)],
                               rtol=1e-6)


def test_logits_and_probability_reconstruction_terms_agree_away_from_saturation():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(8, 784)).astype("float32")
    x[:4] = (x[:4] > 0.5)  # binary and grey images alike
    logits = rng.uniform(-6, 6, size=(8, 784)).astype("float32")
    probabilities = 1 / (1 + np.exp(-logits.astype("float64")))
    from_logits = -np_(bernoulli_log_likelihood(x, logits))
    from_probabilities = np_(binary_cross_entropy_sum(x, probabilities.astype("float32")))
    independent = -np.sum(x * np.log(probabilities) + (1 - x) * np.log1p(-probabilities), -1)
    np.testing.assert_allclose(from_logits, independent, rtol=1e-5)
    np.testing.assert_allclose(from_probabilities, independent, rtol=1e-4)


def test_bernoulli_log_likelihood_is_finite_and_exact_at_extreme_logits():
    x = np.array([[1.0, 0.0, 1.0, 0.0]], "float32")
    logits = np.array([[100.0, 100.0, -100.0, -100.0]], "float32")
    got = np_(bernoulli_log_likelihood(x, logits))
    # per pixel: log sigmoid(100) ~ 0, log(1 - sigmoid(100)) = -100, log sigmoid(-100) = -100, ~0
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [-200.0], rtol=1e-6)


@pytest.mark.parametrize("shape", [(6, 784), (6, 28, 28, 1)])
def test_reconstruction_terms_return_one_value_per_example(shape):
    x = np.full(shape, 0.25, "float32")
    logits = np.zeros(shape, "float32")
    # log p = sum over 784 pixels of x*0 - softplus(0) = -784 log 2
    np.testing.assert_allclose(np_(bernoulli_log_likelihood(x, logits)),
                               np.full(6, -784 * math.log(2)), rtol=1e-6)
    np.testing.assert_allclose(np_(binary_cross_entropy_sum(x, np.full(shape, 0.5, "float32"))),
                               np.full(6, 784 * math.log(2)), rtol=1e-5)


@pytest.mark.parametrize("function, a, b, names", [
    (kl_to_standard_normal, (4, 2), (4, 3), ("z_mean", "z_log_var")),
    (bernoulli_log_likelihood, (4, 784), (4, 28, 28, 1), ("x", "logits")),
    (binary_cross_entropy_sum, (4, 784), (3, 784), ("x", "probabilities")),
    (squared_error_per_pixel, (4, 28, 28, 1), (4, 784), ("x", "x_reconstructed")),
    (lambda z, mean: gaussian_log_density(z, mean, 0.0), (4, 2), (4, 3), ("z", "mean")),
    (lambda z, log_var: gaussian_log_density(z, 0.0, log_var), (4, 2), (2, 2), ("z", "log_var")),
    (gaussian_kernel_matrix, (4, 2), (5, 3), ("x", "y")),
    (maximum_mean_discrepancy, (4, 2), (5, 3), ("x", "y")),
], ids=["kl", "bernoulli", "bce", "squared_error", "density_mean", "density_log_var", "kernel",
        "mmd"])
def test_arguments_of_different_shapes_are_named_in_the_error(function, a, b, names):
    with pytest.raises(ValueError) as err:
        function(np.zeros(a, "float32"), np.full(b, 0.5, "float32"))
    message = str(err.value)
    for name, shape in zip(names, (a, b)):
        assert f"{name} {shape}" in message, message


def test_log_density_names_the_arguments_that_disagree():
    with pytest.raises(ValueError, match=r"got z \(4, 2\) and mean \(4, 3\)"):
        gaussian_log_density(np.zeros((4, 2), "float32"), np.zeros((4, 3), "float32"),
                             np.zeros((4, 3), "float32"))


def test_codes_must_be_a_batch_of_vectors():
    with pytest.raises(ValueError, match=r"x must have shape \(n, d\).*got \(4, 2, 1\)"):
        gaussian_kernel_matrix(np.zeros((4, 2, 1), "float32"), np.zeros((4, 2), "float32"))


def test_squared_error_per_pixel_is_the_mean_over_each_images_pixels():
    x = np.zeros((2, 28, 28, 1), "float32")
    x_reconstructed = np.zeros_like(x)
    x_reconstructed[0, :14] = 0.5  # half the pixels off by 0.5: mean 0.125
    x_reconstructed[1, 0, 0] = 1.0  # one pixel off by 1: mean 1/784
    np.testing.assert_allclose(np_(squared_error_per_pixel(x, x_reconstructed)),
                               [0.125, 1 / 784], rtol=1e-6)
