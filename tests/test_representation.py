"""How informative the codes are and how well they match the prior, against closed forms."""

import math

import numpy as np
import pytest
from keras import ops
from scipy.stats import binom

from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
from vaetutor.evaluation import code_mmd_to_prior
from vaetutor.representation import (
    code_report,
    fraction_beyond,
    knn_accuracy,
    linear_probe_accuracy,
    prior_match,
    sample_codes,
    standard_normal_fraction_beyond,
)
from vaetutor.seeding import seed_everything

CLASSES = 10


def separable_codes(n, seed, d=4):
    """Ten tight clusters, class c around 10 * (c-th corner of a simplex-like layout)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n)
    centres = 10.0 * np.random.default_rng(99).normal(size=(CLASSES, d))
    return centres[labels] + 0.1 * rng.normal(size=(n, d)), labels


def random_codes(n, seed, d=4):
    """Codes and labels independent of each other."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, CLASSES, n)


def chance_interval(n_test, p=1 / CLASSES, tail=1e-4):
    """Labels independent of the codes and uniform over 10 classes: every prediction is right
    with probability 1/10 whatever it is, so the number right is exactly Binomial(n, 1/10).
    Returns the accuracies between its 1e-4 and 1 - 1e-4 quantiles."""
    return binom.ppf(tail, n_test, p) / n_test, binom.ppf(1 - tail, n_test, p) / n_test


@pytest.mark.parametrize("accuracy", [knn_accuracy, linear_probe_accuracy])
def test_accuracy_is_one_on_separable_codes(accuracy):
    train, test = separable_codes(2000, 0), separable_codes(500, 1)
    assert accuracy(*train, *test) == 1.0


@pytest.mark.parametrize("accuracy", [knn_accuracy, linear_probe_accuracy])
def test_accuracy_is_chance_on_codes_unrelated_to_the_labels(accuracy):
    train, test = random_codes(3000, 2), random_codes(2000, 3)
    low, high = chance_interval(2000)           # about 0.075 to 0.127
    assert low <= accuracy(*train, *test) <= high


def test_knn_agrees_with_a_direct_nearest_neighbour_vote():
    train_codes, train_labels = random_codes(300, 4, d=3)
    test_codes, _ = random_codes(50, 5, d=3)
    test_labels = np.random.default_rng(6).integers(0, CLASSES, 50)
    distances = np.linalg.norm(test_codes[:, None] - train_codes[None], axis=2)
    nearest = np.argsort(distances, axis=1)[:, :5]
    votes = np.array([np.bincount(train_labels[row], minlength=CLASSES) for row in nearest])
    expected = np.mean(votes.argmax(axis=1) == test_labels)       # ties: smallest label
    assert knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=5) == expected


def test_linear_probe_beats_knn_on_linearly_separable_codes_far_from_neighbours():
    """Two classes split by the sign of z[0], with large noise in 20 other dimensions: a line
    separates them, nearest neighbours mostly see the noise."""
    rng = np.random.default_rng(7)

    def make(n):
        z = rng.normal(size=(n, 21)) * np.r_[1.0, np.full(20, 5.0)]
        return z, (z[:, 0] > 0).astype(int)

    train, test = make(2000), make(1000)
    assert linear_probe_accuracy(*train, *test) > 0.95
    assert knn_accuracy(*train, *test) < 0.75


# --- matching the prior ---

def test_prior_fraction_beyond_radius_matches_the_closed_forms():
    for r in (0.0, 0.5, 1.0, 2.0, 3.0):
        assert standard_normal_fraction_beyond(r, 2) == pytest.approx(math.exp(-r**2 / 2))
        assert standard_normal_fraction_beyond(r, 1) == pytest.approx(math.erfc(r / math.sqrt(2)))
        # d = 4: P(chi2_4 > t) = exp(-t/2) (1 + t/2)
        t = r**2
        assert standard_normal_fraction_beyond(r, 4) == pytest.approx(math.exp(-t / 2)
                                                                      * (1 + t / 2))


@pytest.mark.parametrize("d", [2, 16])
def test_fraction_of_standard_normal_samples_beyond_radius_matches_chi_square(d):
    n = 200_000
    z = np.random.default_rng(d).standard_normal((n, d))
    for r, fraction in fraction_beyond(z, radii=(1, 2, 3, 4, 5)).items():
        p = standard_normal_fraction_beyond(r, d)
        assert abs(fraction - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12, (r, fraction, p)


def test_prior_match_of_standard_normal_codes_is_near_the_prior():
    z = np.random.default_rng(8).standard_normal((20_000, 3))
    report = prior_match(z)
    assert report["mean_norm"] < 5 * math.sqrt(3 / 20_000)
    assert report["covariance_error"] < 0.05
    assert 0 <= report["gaussian_kl"] < 1e-3
    assert report["prior_fraction_beyond"][2.0] == pytest.approx(
        standard_normal_fraction_beyond(2, 3))
    for r in (1.0, 2.0, 3.0):
        assert report["fraction_beyond"][r] == pytest.approx(report["prior_fraction_beyond"][r],
                                                             abs=0.01)
    assert report["mmd"] < 0.01


def test_prior_match_of_shifted_scaled_codes_gives_the_closed_forms():
    """Codes N(m, diag(s^2)): mean m, covariance diag(s^2), and
    KL = 1/2 sum_j (s_j^2 + m_j^2 - 1 - log s_j^2)."""
    m, s = np.array([1.0, -2.0]), np.array([0.5, 2.0])
    z = m + s * np.random.default_rng(9).standard_normal((50_000, 2))
    report = prior_match(z, mmd_repeats=2, mmd_n=500)
    np.testing.assert_allclose(report["mean"], m, atol=0.03)
    np.testing.assert_allclose(report["covariance"], np.diag(s**2), atol=0.06)
    assert report["mean_norm"] == pytest.approx(np.linalg.norm(m), abs=0.03)
    kl = 0.5 * np.sum(s**2 + m**2 - 1 - np.log(s**2))
    assert report["gaussian_kl"] == pytest.approx(kl, rel=0.02)
    assert report["mmd"] > 0.05


def test_prior_match_reuses_the_evaluation_modules_code_mmd():
    z = np.random.default_rng(10).normal(0.5, 1.0, size=(3000, 2))
    report = prior_match(z, mmd_n=1000, mmd_repeats=3, seed=4)
    assert (report["mmd"], report["mmd_se"]) == code_mmd_to_prior(z, n=1000, repeats=3, seed=4)


def test_sampled_codes_have_the_encoders_mean_and_variance():
    seed_everything(0)
    model = build_conv_vae(latent_dim=3, seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    x = np.repeat(x, 500, axis=0)                # 500 draws for each of 4 images
    z_mean, z_log_var = (ops.convert_to_numpy(t) for t in model.encoder(x[::500]))
    z = sample_codes(model, x, seed=1, batch_size=300)
    assert z.shape == (2000, 3) and z.dtype == np.float32
    per_image = z.reshape(4, 500, 3)
    np.testing.assert_allclose(per_image.mean(axis=1), z_mean,
                               atol=5 * float(np.exp(0.5 * z_log_var).max()) / math.sqrt(500))
    np.testing.assert_allclose(np.log(per_image.var(axis=1)), z_log_var, atol=0.3)
    # the same codes whatever the batch size, up to the encoder's float rounding (PyTorch's
    # convolutions round differently for different batch sizes)
    np.testing.assert_allclose(sample_codes(model, x, seed=1, batch_size=2000), z,
                               rtol=1e-5, atol=1e-6)
    assert not np.array_equal(sample_codes(model, x, seed=2), z)


# --- errors ---

def test_nan_codes_are_refused_naming_the_argument():
    codes, labels = random_codes(100, 11)
    codes[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"test_codes contains 1 NaN.*expected finite codes"):
        knn_accuracy(np.zeros((50, 4)), labels[:50], codes, labels)
    with pytest.raises(ValueError, match=r"train_codes contains 1 NaN"):
        linear_probe_accuracy(codes, labels, codes[50:], labels[50:])
    with pytest.raises(ValueError, match=r"codes contains 1 NaN"):
        prior_match(codes)


def test_mismatched_shapes_are_refused_with_what_was_expected():
    codes, labels = random_codes(100, 12)
    with pytest.raises(ValueError, match=r"train_labels must have shape \(100,\).*got \(99,\)"):
        knn_accuracy(codes, labels[:99], codes, labels)
    with pytest.raises(ValueError, match=r"same latent_dim; got 4 and 3"):
        linear_probe_accuracy(codes, labels, codes[:, :3], labels)
    with pytest.raises(ValueError,
                       match=r"codes must have shape \(count, latent_dim\).*codes\[:, None\]"):
        fraction_beyond(codes[:, 0])
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 100\]"):
        knn_accuracy(codes, labels, codes, labels, k=0)
    with pytest.raises(ValueError, match="integer class labels"):
        knn_accuracy(codes, labels + 0.5, codes, labels)
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1"):
        standard_normal_fraction_beyond(1.0, 0)
    with pytest.raises(ValueError, match="radius must be a finite number >= 0"):
        standard_normal_fraction_beyond(-1.0, 2)


def test_sampling_codes_of_a_deterministic_encoder_is_refused():
    with pytest.raises(ValueError, match=r"\[z_mean, z_log_var\].*use model.encode"):
        sample_codes(build_conv_mmd_vae(seed=0), np.zeros((2, 28, 28, 1)))


def test_code_report_gathers_the_figures_of_mean_and_sampled_codes():
    seed_everything(0)
    rng = np.random.default_rng(13)
    x_train, x_test = (rng.uniform(size=(n, 28, 28, 1)).astype("float32") for n in (300, 100))
    y_train, y_test = rng.integers(0, 10, 300), rng.integers(0, 10, 100)
    vae = build_conv_vae(latent_dim=2, seed=0)
    report = code_report(vae, x_train, y_train, x_test, y_test, k=3, seed=5)
    assert set(report) == {"mean", "sampled"}
    train_codes, test_codes = sample_codes(vae, x_train, seed=5), sample_codes(vae, x_test, seed=6)
    assert report["sampled"]["knn_accuracy"] == knn_accuracy(train_codes, y_train, test_codes,
                                                              y_test, k=3)
    assert report["sampled"]["mmd"] == prior_match(test_codes, seed=5)["mmd"]
    np.testing.assert_allclose(report["mean"]["mean"], vae.encode(x_test).mean(axis=0),
                               rtol=1e-5)
    mmd_vae = build_conv_mmd_vae(latent_dim=2, seed=0)
    assert set(code_report(mmd_vae, x_train, y_train, x_test, y_test)) == {"mean"}
