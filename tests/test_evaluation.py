"""Held-out numbers, checked on models whose codes are far from the prior (a large KL)."""

import math

import numpy as np
import pytest
from keras import ops

from vaetutor.evaluation import (
    bernoulli_loss_floor,
    code_mmd_to_prior,
    monte_carlo_vs_analytic,
    negative_elbo,
    reconstruction_mse,
)
from vaetutor.losses import bernoulli_log_likelihood


def encoder_gaussian(model, x):
    z_mean, z_log_var = (ops.convert_to_numpy(t).astype("float64") for t in model.encoder(x))
    return z_mean, np.exp(0.5 * z_log_var)


def numpy_kl(m, s):
    return np.sum(np.log(1 / s) + (s**2 + m**2) / 2 - 0.5, axis=-1)


def numpy_reconstruction_draws(model, x, draws, seed=123):
    """-log p(x|z) per image for ``draws`` draws of z ~ q(z|x) made here: ``(draws, n)``."""
    m, s = encoder_gaussian(model, x)
    rng = np.random.default_rng(seed)
    z = (m + s * rng.standard_normal((draws, *m.shape))).astype("float32")
    logits = ops.convert_to_numpy(model.decoder(z.reshape(-1, m.shape[1]))).astype("float64")
    logits = logits.reshape(draws, len(x), -1)
    x64 = x.astype("float64").reshape(1, len(x), -1)
    return np.sum(x64 * np.logaddexp(0, -logits) + (1 - x64) * np.logaddexp(0, logits), -1)


@pytest.fixture(scope="module")
def x_flat(dataset_factory):
    return dataset_factory(20, 1).x_train


def test_monte_carlo_and_analytic_losses_agree_when_the_kl_is_large(far_mlp_vae, x_flat):
    result = monte_carlo_vs_analytic(far_mlp_vae, x_flat, n_samples=300)
    m, s = encoder_gaussian(far_mlp_vae, x_flat)
    kl = numpy_kl(m, s)
    assert kl.mean() > 8
    # the analytic loss against an estimate made here: E[-log p(x|z)] + closed-form KL
    reconstruction = numpy_reconstruction_draws(far_mlp_vae, x_flat, 300).mean(1)
    here = reconstruction + kl.mean()
    here_se = reconstruction.std(ddof=1) / math.sqrt(len(reconstruction))
    assert abs(result["analytic_mean"] - here.mean()) < 4 * math.hypot(result["analytic_se"],
                                                                       here_se)
    # the Monte-Carlo loss estimates the same number, KL included
    gap = abs(result["mc_mean"] - result["analytic_mean"])
    assert gap < 4 * math.hypot(result["mc_se"], result["analytic_se"]), result
    assert len(result["mc_draws"]) == len(result["analytic_draws"]) == 300


def test_single_draw_spread_is_that_of_the_monte_carlo_loss(far_mlp_vae, x_flat):
    # One draw's loss is -log p(x|z) + log q(z|x) - log p(z), and with z = m + s e (e standard
    # normal) log q(z|x) - log p(z) = sum over dimensions of -log s - e^2/2 + z^2/2: its spread
    # over draws (about |m| s per dimension here) is most of the single-draw noise.
    result = monte_carlo_vs_analytic(far_mlp_vae, x_flat[:5], n_samples=500)
    m, s = encoder_gaussian(far_mlp_vae, x_flat[:5])
    rng = np.random.default_rng(7)
    e = rng.standard_normal((2000, *m.shape))
    z = m + s * e
    kl_draws = np.sum(-np.log(s) - e**2 / 2 + z**2 / 2, axis=-1)  # (draws, images)
    reconstruction = numpy_reconstruction_draws(far_mlp_vae, x_flat[:5], 2000, seed=7)
    expected = np.mean(np.std(reconstruction + kl_draws, axis=0, ddof=1))
    np.testing.assert_allclose(result["single_draw_std"], expected, rtol=0.1)


def test_negative_elbo_on_codes_far_from_the_prior(far_mlp_vae, x_flat):
    result = negative_elbo(far_mlp_vae, x_flat, batch_size=8, n_samples=50)
    m, s = encoder_gaussian(far_mlp_vae, x_flat)
    np.testing.assert_allclose(result["kl"], numpy_kl(m, s).mean(), rtol=1e-5)
    draws = numpy_reconstruction_draws(far_mlp_vae, x_flat, 400).mean(1)
    se = draws.std(ddof=1) / math.sqrt(len(draws))
    assert abs(result["reconstruction"] - draws.mean()) < 4 * math.hypot(se, se * math.sqrt(8))
    far_mlp_vae.compile(optimizer="adam")
    keras_metrics = far_mlp_vae.evaluate(x_flat, batch_size=20, verbose=0, return_dict=True)
    np.testing.assert_allclose(result["kl"], keras_metrics["kl_loss"], rtol=1e-4)


def test_code_mmd_is_small_for_prior_samples_and_large_for_shifted_codes():
    rng = np.random.default_rng(0)
    prior_like, _ = code_mmd_to_prior(rng.standard_normal((5000, 2)), n=1000)
    shifted, _ = code_mmd_to_prior(rng.standard_normal((5000, 2)) + 3, n=1000)
    assert prior_like < 0.01 < shifted


def test_reconstruction_mse_matches_a_direct_computation(far_mlp_vae, x_flat):
    z_mean = ops.convert_to_numpy(far_mlp_vae.encoder(x_flat)[0])
    p = 1 / (1 + np.exp(-ops.convert_to_numpy(far_mlp_vae.decoder(z_mean)).astype("float64")))
    np.testing.assert_allclose(reconstruction_mse(far_mlp_vae, x_flat), np.mean((p - x_flat) ** 2),
                               rtol=1e-5)


def test_bernoulli_loss_floor_closed_forms_and_a_lower_bound():
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
    best = -np.mean(ops.convert_to_numpy(bernoulli_log_likelihood(x, np.log(x / (1 - x)))))
    assert np.isclose(best, floor, rtol=1e-4)


def test_bernoulli_loss_floor_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bernoulli_loss_floor(np.full((2, 4), 1.5))


def quadrature_negative_elbo(model, x, nodes=40):
    """-ELBO per image by Gauss-Hermite quadrature over each image's 2-D q(z|x) (no sampling):
    E_q[-log p(x|z)] = (1/pi) sum_ij w_i w_j f(m + sqrt(2) s (t_i, t_j)), plus the closed-form
    KL written out here; an independent computation of what negative_elbo estimates."""
    t, w = np.polynomial.hermite.hermgauss(nodes)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)     # (nodes^2, 2)
    weights = np.outer(w, w).reshape(-1) / np.pi                              # sums to 1
    m, s = encoder_gaussian(model, x)
    values = []
    for i in range(len(x)):
        z = (m[i] + math.sqrt(2.0) * s[i] * grid).astype("float32")
        logits = ops.convert_to_numpy(model.decoder(z)).astype("float64")
        xi = x[i].astype("float64").reshape(1, -1)
        f = np.sum(xi * np.logaddexp(0, -logits) + (1 - xi) * np.logaddexp(0, logits), -1)
        values.append(weights @ f)
    reconstruction = np.array(values)
    return reconstruction, numpy_kl(m, s)


@pytest.fixture(scope="module")
def curved_vae():
    """An MLP VAE whose q(z|x) is N((2.5, -3), diag(exp(-2), exp(-2.5))) for every image (far
    from the prior), with a decoder that bends strongly with z; and images ``x`` equal to the
    decoder's probabilities at z_mean, so that -log p(x|z) is smallest at z_mean and its
    expectation over q(z|x) grows with the width of q(z|x) (exp(z_log_var / 2), not
    exp(z_log_var))."""
    from vaetutor.mlp import build_mlp_vae

    model = build_mlp_vae(hidden_units=(16,), seed=1)
    model(np.zeros((1, 784), "float32"))
    rng = np.random.default_rng(0)
    for name, bias in (("z_mean", [2.5, -3.0]), ("z_log_var", [-2.0, -2.5])):
        kernel, _ = model.encoder.get_layer(name).get_weights()
        model.encoder.get_layer(name).set_weights(
            [np.zeros(kernel.shape, "float32"), np.array(bias, "float32")])
    hidden = model.decoder.get_layer("hidden_0")
    hidden.set_weights([rng.normal(0, 3.0, (2, 16)).astype("float32"),
                        rng.normal(0, 3.0, 16).astype("float32")])
    logits = model.decoder.get_layer("logits")
    logits.set_weights([rng.normal(0, 0.5, (16, 784)).astype("float32"),
                        np.zeros(784, "float32")])
    x = model.decode(np.array([[2.5, -3.0]] * 8, "float32"))
    return model, x


def test_negative_elbo_is_the_quadrature_value_on_codes_far_from_the_prior(curved_vae):
    far_mlp_vae, x = curved_vae
    """Catches a KL subtracted instead of added (the KL is about 9 nats here) and a draw with
    standard deviation exp(z_log_var) instead of exp(z_log_var / 2) (a narrower q(z|x): the
    reconstruction term moves by far more than the Monte-Carlo error)."""
    reconstruction, kl = quadrature_negative_elbo(far_mlp_vae, x)
    assert kl.mean() > 5  # away from the prior, so a wrong sign shows
    result = negative_elbo(far_mlp_vae, x, batch_size=3, n_samples=2000)
    assert result["negative_elbo"] == pytest.approx(result["reconstruction"] + result["kl"])
    np.testing.assert_allclose(result["kl"], kl.mean(), rtol=1e-5)
    draws = numpy_reconstruction_draws(far_mlp_vae, x, 2000).mean(0)       # (n,) per image
    spread = numpy_reconstruction_draws(far_mlp_vae, x, 2000).std(0, ddof=1).mean()
    tolerance = 5 * spread / math.sqrt(2000 * len(x))
    assert abs(result["reconstruction"] - reconstruction.mean()) < tolerance
    assert abs(draws.mean() - reconstruction.mean()) < tolerance  # the quadrature itself is right
    np.testing.assert_allclose(result["negative_elbo"], reconstruction.mean() + kl.mean(),
                               atol=tolerance)
    # the narrower q(z|x) that exp(z_log_var) as a standard deviation draws from is far off
    m, s = encoder_gaussian(far_mlp_vae, x)
    narrow = (m + s**2 * np.random.default_rng(3).standard_normal((2000, *m.shape)))
    logits = ops.convert_to_numpy(far_mlp_vae.decoder(narrow.reshape(-1, 2).astype("float32")))
    x64 = np.broadcast_to(x.astype("float64"), (2000, *x.shape)).reshape(-1, 784)
    wrong = np.sum(x64 * np.logaddexp(0, -logits) + (1 - x64) * np.logaddexp(0, logits), -1)
    assert abs(wrong.mean() - reconstruction.mean()) > 10 * tolerance


def test_negative_elbo_refuses_a_model_without_a_gaussian_encoder():
    from vaetutor.conv import build_conv_mmd_vae

    with pytest.raises(ValueError, match="GaussianVAE"):
        negative_elbo(build_conv_mmd_vae(), np.zeros((2, 28, 28, 1), "float32"))
