"""The importance-weighted bound on log p(x), checked against closed forms and independent sums."""

import math
import tracemalloc

import numpy as np
import pytest
from keras import ops
from scipy.special import logsumexp

from vaetutor.conv import build_conv_mmd_vae
from vaetutor.likelihood import (
    importance_weighted_bound,
    importance_weighted_bounds,
    log_importance_weights,
)
from vaetutor.losses import bernoulli_log_likelihood, gaussian_log_density
from vaetutor.mlp import build_mlp_vae
from vaetutor.seeding import seed_everything


# --- a linear-Gaussian model, where log p(x), the posterior and the ELBO have closed forms ---

class LinearGaussianModel:
    """p(z) = N(0, I_d), p(x|z) = N(W z + b, sigma^2 I_D), and a diagonal Gaussian encoder
    that is deliberately *not* the posterior: its mean is shrunk and its variances widened
    (the true posterior N(m, S) has a full covariance S = (I + W^T W / sigma^2)^-1)."""

    def __init__(self, seed=0, latent_dim=3, data_dim=6, sigma=0.5):
        rng = np.random.default_rng(seed)
        self.W = rng.normal(size=(data_dim, latent_dim))
        self.b = rng.normal(size=data_dim)
        self.sigma = sigma
        self.posterior_cov = np.linalg.inv(np.eye(latent_dim) + self.W.T @ self.W / sigma**2)
        self.enc_matrix = 0.6 * self.posterior_cov @ self.W.T / sigma**2      # shrunk mean
        self.enc_log_var = np.log(np.diag(self.posterior_cov)) + 0.7          # widened
        self.decoder_calls = []

    def sample_x(self, n, seed=1):
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(n, self.W.shape[1]))
        return (z @ self.W.T + self.b + self.sigma * rng.normal(size=(n, len(self.b))))

    def encoder(self, x, training=False):
        mean = (np.asarray(x, "float64") - self.b) @ self.enc_matrix.T
        return [mean.astype("float32"),
                np.broadcast_to(self.enc_log_var, mean.shape).astype("float32")]

    def decoder(self, z, training=False):
        self.decoder_calls.append(np.shape(z))
        return (np.asarray(z, "float64") @ self.W.T + self.b).astype("float32")

    def log_px_z(self, x, decoded_mean):
        return gaussian_log_density(x, decoded_mean, 2.0 * math.log(self.sigma))

    def log_px(self, x):
        """log N(x; b, W W^T + sigma^2 I), the exact marginal likelihood."""
        cov = self.W @ self.W.T + self.sigma**2 * np.eye(len(self.b))
        diff = np.asarray(x, "float64") - self.b
        _, logdet = np.linalg.slogdet(cov)
        maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
        return -0.5 * (len(self.b) * math.log(2 * math.pi) + logdet + maha)

    def elbo(self, x):
        """E_q[log p(x|z)] - KL(q || N(0, I)) in closed form for the diagonal encoder."""
        mean, log_var = (np.asarray(t, "float64") for t in self.encoder(x))
        var = np.exp(log_var)
        resid = np.asarray(x, "float64") - mean @ self.W.T - self.b
        expected_sq = np.sum(resid**2, axis=1) + var @ np.sum(self.W**2, axis=0)
        data_dim = len(self.b)
        expected_log_lik = (-0.5 * data_dim * math.log(2 * math.pi * self.sigma**2)
                            - expected_sq / (2 * self.sigma**2))
        kl = 0.5 * np.sum(var + mean**2 - 1.0 - log_var, axis=1)
        return expected_log_lik - kl


@pytest.fixture(scope="module")
def linear_gaussian():
    model = LinearGaussianModel()
    x = model.sample_x(60)
    ks = (1, 10, 100, 1000, 5000)
    bounds = importance_weighted_bounds(model, x, ks, log_px_z=model.log_px_z,
                                        chunk_images=20, chunk_k=1000, seed=3)
    return model, x, bounds


def test_linear_gaussian_encoder_is_not_the_posterior_so_the_elbo_has_a_gap(linear_gaussian):
    model, x, _ = linear_gaussian
    gap = model.log_px(x) - model.elbo(x)
    assert np.all(gap > 0.5) and np.mean(gap) > 5, gap   # the tests below need a real gap


def test_k1_bound_is_an_unbiased_estimate_of_the_closed_form_elbo(linear_gaussian):
    model, x, bounds = linear_gaussian
    diff = bounds[1] - model.elbo(x)
    standard_error = diff.std(ddof=1) / math.sqrt(len(diff))
    assert abs(diff.mean()) < 4 * standard_error, (diff.mean(), standard_error)


def test_bound_converges_to_the_closed_form_log_likelihood_as_k_grows(linear_gaussian):
    model, x, bounds = linear_gaussian
    gaps = {k: float(np.mean(model.log_px(x) - b)) for k, b in bounds.items()}
    assert gaps[1] > 10 * gaps[10] and gaps[10] > 0.2, gaps
    assert abs(gaps[1000]) < 0.05 and abs(gaps[5000]) < 0.05, gaps
    # and per image, not only on average (the ELBO's gap is 0.5 to 30 nats per image)
    np.testing.assert_allclose(bounds[5000], model.log_px(x), atol=0.5)


def test_bound_is_at_least_the_elbo_on_average_and_grows_with_k(linear_gaussian):
    model, x, bounds = linear_gaussian
    means = {k: float(np.mean(b)) for k, b in bounds.items()}
    elbo = float(np.mean(model.elbo(x)))
    assert all(means[k] > elbo for k in (10, 100, 1000, 5000)), (means, elbo)
    # strictly up while the bound is far from log p(x); then equal within the draws' noise
    assert means[1] < means[10] < means[100], means
    assert min(means[1000], means[5000]) > means[100] - 0.05, means
    assert means[5000] <= float(np.mean(model.log_px(x))) + 0.05


# --- the VAE (Bernoulli decoder on logits) ---

@pytest.fixture(scope="module")
def vae_and_images():
    """An untrained MLP VAE whose decoder's last layer is scaled up, so that log p(x|z)
    depends strongly on z and the importance weights vary a lot (as in a trained model)."""
    seed_everything(0)
    model = build_mlp_vae(hidden_units=(32,), latent_dim=3, seed=0)
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(12, 784)) < 0.3).astype("float32")
    model.encoder(x)
    logits = model.decoder.get_layer("logits")
    kernel, bias = logits.get_weights()
    logits.set_weights([6.0 * kernel, bias])
    return model, x


def independent_log_weights(model, x, k, seed):
    """log w of draws eps_ik = default_rng([seed, i]).standard_normal((k, d))[k], computed
    image by image with the Monte-Carlo ELBO terms of vaetutor.losses."""
    z_mean, z_log_var = (ops.convert_to_numpy(t) for t in model.encoder(x))
    rows = []
    for i in range(len(x)):
        eps = np.random.default_rng([seed, i]).standard_normal((k, z_mean.shape[1]),
                                                               dtype=np.float32)
        z = z_mean[i] + np.exp(0.5 * z_log_var[i]) * eps
        logits = model.decoder(z)
        log_weights = (bernoulli_log_likelihood(np.repeat(x[i:i + 1], k, axis=0), logits)
                       + gaussian_log_density(z, 0.0, 0.0)
                       - gaussian_log_density(z, np.repeat(z_mean[i:i + 1], k, axis=0),
                                              np.repeat(z_log_var[i:i + 1], k, axis=0)))
        rows.append(ops.convert_to_numpy(log_weights).astype("float64"))
    return np.array(rows)


def test_k1_equals_the_single_sample_monte_carlo_elbo_with_the_same_draw(vae_and_images):
    model, x = vae_and_images
    expected = independent_log_weights(model, x, 1, seed=5)[:, 0]
    got = importance_weighted_bound(model, x, k=1, seed=5)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert np.all(got < 0)


def test_bound_is_the_log_mean_exp_of_independently_computed_weights(vae_and_images):
    model, x = vae_and_images
    log_w = independent_log_weights(model, x, 7, seed=2)
    # chunks of 3 draws and 5 images: the Ks end inside chunks, and in the second block
    bounds = importance_weighted_bounds(model, x, (7, 2, 5, 1), chunk_images=5, chunk_k=3,
                                        seed=2)
    assert sorted(bounds) == [1, 2, 5, 7]
    for k, values in bounds.items():
        np.testing.assert_allclose(values, logsumexp(log_w[:, :k], axis=1) - math.log(k),
                                   rtol=1e-5)
    np.testing.assert_allclose(log_importance_weights(model, x, 7, chunk_images=5, chunk_k=3,
                                                      seed=2), log_w, rtol=1e-5)


def test_bound_is_at_least_the_mean_log_weight_of_the_same_draws(vae_and_images):
    model, x = vae_and_images
    log_w = log_importance_weights(model, x, 50, seed=1)
    bounds = importance_weighted_bounds(model, x, (10, 50), seed=1)
    for k in (10, 50):    # Jensen: log mean exp >= mean log, for every set of draws
        assert np.all(bounds[k] >= log_w[:, :k].mean(axis=1) - 1e-9)
    assert np.any(log_w.std(axis=1) > 1.0)     # the weights vary, so the inequality is strict


def test_vae_bound_grows_with_k_on_average(vae_and_images):
    model, x = vae_and_images
    bounds = importance_weighted_bounds(model, x, (1, 10, 100, 400), seed=4)
    means = [bounds[k].mean() for k in sorted(bounds)]
    assert means[0] + 5 < means[1] < means[2], means
    assert means[3] > means[2] - 0.1, means     # near convergence: equal within the noise


def test_same_seed_same_numbers_whatever_the_chunks_and_another_seed_differs(vae_and_images):
    model, x = vae_and_images
    a = importance_weighted_bound(model, x, k=30, seed=9, chunk_images=1, chunk_k=1)
    b = importance_weighted_bound(model, x, k=30, seed=9, chunk_images=12, chunk_k=100)
    c = importance_weighted_bound(model, x, k=30, seed=10)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, c, rtol=1e-6)
    # the draws for K are the first K of those for a larger K
    np.testing.assert_allclose(importance_weighted_bounds(model, x, (30, 60), seed=9)[30], b,
                               rtol=1e-6)


# --- memory ---

def test_decoder_calls_hold_at_most_chunk_images_times_chunk_k_codes():
    model = LinearGaussianModel()
    x = model.sample_x(23)
    importance_weighted_bound(model, x, k=50, log_px_z=model.log_px_z, chunk_images=4,
                              chunk_k=7)
    sizes = [shape[0] for shape in model.decoder_calls]
    assert max(sizes) == 4 * 7
    assert sum(sizes) == 23 * 50


def test_numpy_memory_does_not_grow_with_k():
    """No (images, K) array: the peak of NumPy's allocations hardly changes from K = 250 (one
    chunk) to K = 5,000, where an (images, K) float64 array would take 4 MB. As a control,
    log_importance_weights, which returns that array, is seen to take it."""
    model = LinearGaussianModel()
    x = model.sample_x(100)
    chunks = dict(log_px_z=model.log_px_z, chunk_images=10, chunk_k=250)
    importance_weighted_bound(model, x[:10], 250, **chunks)  # warm up (first-call allocations)
    peaks = {}
    for name, fn, k in [("bound", importance_weighted_bound, 250),
                        ("bound", importance_weighted_bound, 5000),
                        ("all weights", log_importance_weights, 5000)]:
        tracemalloc.start()
        fn(model, x, k, **chunks)
        peaks[name, k] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    full_array = 100 * 5000 * 8
    assert peaks["bound", 5000] - peaks["bound", 250] < 0.1 * full_array, peaks
    assert peaks["all weights", 5000] - peaks["bound", 250] > 0.9 * full_array, peaks


# --- errors ---

@pytest.mark.parametrize("k", [0, -3, 2.5, True, "10"])
def test_k_below_one_or_not_an_integer_is_refused(vae_and_images, k):
    model, x = vae_and_images
    with pytest.raises(ValueError, match=r"k must be an integer >= 1"):
        importance_weighted_bound(model, x, k=k)


def test_bad_ks_and_chunks_and_seed_are_refused(vae_and_images):
    model, x = vae_and_images
    with pytest.raises(ValueError, match=r"each K in ks must be an integer >= 1.*got 0"):
        importance_weighted_bounds(model, x, (1, 0))
    with pytest.raises(ValueError, match="at least one K"):
        importance_weighted_bounds(model, x, [])
    with pytest.raises(ValueError, match="ks must be a collection"):
        importance_weighted_bounds(model, x, 5)
    with pytest.raises(ValueError, match="chunk_k must be an integer >= 1"):
        importance_weighted_bound(model, x, k=5, chunk_k=0)
    with pytest.raises(ValueError, match="chunk_images must be an integer >= 1"):
        importance_weighted_bound(model, x, k=5, chunk_images=None)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        importance_weighted_bound(model, x, k=5, seed=-1)


def test_bad_images_are_refused_with_the_reason(vae_and_images):
    model, x = vae_and_images
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        importance_weighted_bound(model, np.where(np.arange(12 * 784).reshape(12, 784) == 3,
                                                  np.nan, x), k=2)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 784\).*add a batch axis"):
        importance_weighted_bound(model, x[0], k=2)
    with pytest.raises(ValueError, match=r"pixel values must be in \[0, 1\].*divide uint8"):
        importance_weighted_bound(model, x * 255, k=2)
    with pytest.raises(ValueError, match=r"(no images|at least one image).*\(0, 784\)"):
        importance_weighted_bound(model, x[:0], k=2)


def test_bad_vectors_are_refused_for_models_without_an_image_layout():
    model = LinearGaussianModel()
    x = model.sample_x(4)
    with pytest.raises(ValueError, match=r"x must be a batch \(n, ...\).*got shape \(6,\)"):
        importance_weighted_bound(model, x[0], k=2, log_px_z=model.log_px_z)
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match="x contains 1 NaN or infinite values"):
        importance_weighted_bound(model, x, k=2, log_px_z=model.log_px_z)


def test_mismatched_shapes_and_a_deterministic_encoder_are_refused(vae_and_images):
    model, x = vae_and_images
    with pytest.raises(ValueError, match=r"\[z_mean, z_log_var\].*deterministic encoder"):
        importance_weighted_bound(build_conv_mmd_vae(seed=0), np.zeros((2, 28, 28, 1)), k=2)

    class Mismatched(LinearGaussianModel):
        def encoder(self, x, training=False):
            mean, log_var = super().encoder(x)
            return [mean, log_var[:, :1]]

    lg = Mismatched()
    with pytest.raises(ValueError,
                       match=r"z_mean and z_log_var of one shape.*\(3, 3\) and \(3, 1\)"):
        importance_weighted_bound(lg, lg.sample_x(3), k=2, log_px_z=lg.log_px_z)
    good = LinearGaussianModel()
    with pytest.raises(ValueError, match=r"log_px_z must return one value per example"):
        importance_weighted_bound(good, good.sample_x(3), k=2, log_px_z=lambda x, mean: mean)

    class TooFewOutputs(LinearGaussianModel):
        def decoder(self, z, training=False):
            return super().decoder(z)[:1]

    few = TooFewOutputs()
    with pytest.raises(ValueError, match=r"model.decoder returned 1 outputs for 6 codes"):
        importance_weighted_bound(few, few.sample_x(3), k=2, log_px_z=few.log_px_z)


def test_nan_codes_or_decoder_outputs_are_refused():
    class NaNCodes(LinearGaussianModel):
        def encoder(self, x, training=False):
            mean, log_var = super().encoder(x)
            mean[0, 0] = np.nan
            return [mean, log_var]

    class NaNDecoder(LinearGaussianModel):
        def decoder(self, z, training=False):
            return np.full((len(z), len(self.b)), np.nan, "float32")

    for model, error, message in [
            (NaNCodes(), ValueError, r"NaN or infinite z_mean or z_log_var"),
            (NaNDecoder(), FloatingPointError, r"bound for K=3 is not finite for 4 images")]:
        with pytest.raises(error, match=message):
            importance_weighted_bound(model, model.sample_x(4), k=3, log_px_z=model.log_px_z)
