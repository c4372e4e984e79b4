"""Sample-quality figures: the classifier, confidence, class entropy and Fréchet distance."""

import math

import keras
import numpy as np
import pytest
import scipy.linalg

from vaetutor.sample_quality import (
    FEATURES_LAYER,
    build_classifier,
    classifier_compile_arguments,
    class_histogram_entropy,
    class_probabilities,
    classifier_features,
    feature_statistics,
    frechet_distance,
    gaussian_frechet_distance,
    mean_confidence,
    sample_quality,
)
from vaetutor.seeding import seed_everything


# --- the Fréchet distance, against closed forms and an independent matrix square root ---

def random_covariance(rng, f):
    a = rng.normal(size=(f, f))
    return a @ a.T / f + 0.1 * np.eye(f)


def test_frechet_distance_of_a_set_to_itself_is_zero():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(500, 32)) @ rng.normal(size=(32, 32))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)
    # more dimensions than samples: a singular covariance, still 0
    few = rng.normal(size=(20, 64))
    assert frechet_distance(few, few) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_a_pure_shift_is_the_squared_shift():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16))
    for scale in (0.1, 1.0, 10.0):
        delta = scale * rng.normal(size=16)
        assert frechet_distance(features, features + delta) == pytest.approx(delta @ delta,
                                                                             rel=1e-8, abs=1e-8)


def test_frechet_distance_grows_with_the_shift():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    distances = [frechet_distance(a, b + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert distances[0] < 0.05 and all(x < y for x, y in zip(distances, distances[1:]))


def test_gaussian_frechet_distance_matches_closed_forms():
    # one dimension: (m1 - m2)^2 + (s1 - s2)^2
    assert gaussian_frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # commuting (diagonal) covariances: ||m1 - m2||^2 + sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.0])
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert gaussian_frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(expected)


def test_gaussian_frechet_distance_matches_scipy_sqrtm_and_is_symmetric():
    rng = np.random.default_rng(3)
    for f in (2, 10, 64):
        c1, c2 = random_covariance(rng, f), random_covariance(rng, f)
        m1, m2 = rng.normal(size=f), rng.normal(size=f)
        cross = scipy.linalg.sqrtm(c1 @ c2).real
        expected = np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.trace(cross)
        got = gaussian_frechet_distance(m1, c1, m2, c2)
        assert got == pytest.approx(expected, rel=1e-7)
        assert got == pytest.approx(gaussian_frechet_distance(m2, c2, m1, c1), rel=1e-9)


def test_feature_statistics_are_the_mean_and_unbiased_covariance():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(50, 3))
    mean, cov = feature_statistics(features)
    centred = features - features.mean(axis=0)
    np.testing.assert_allclose(mean, features.sum(axis=0) / 50)
    np.testing.assert_allclose(cov, centred.T @ centred / 49)


# --- confidence and class entropy ---

def test_mean_confidence_is_the_mean_of_the_largest_probabilities():
    p = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    assert mean_confidence(p) == pytest.approx((0.9 + 0.5 + 1 / 3) / 3)


def test_class_entropy_is_log_c_for_balanced_predictions_and_zero_for_one_class():
    balanced = np.eye(10)[np.arange(1000) % 10] * 0.9 + 0.01
    assert class_histogram_entropy(balanced) == pytest.approx(math.log(10))
    one_class = np.tile([0.05, 0.9, 0.05], (7, 1))
    assert class_histogram_entropy(one_class) == 0.0
    # three predictions of class 0, one of class 2: h = (3/4, 0, 1/4)
    p = np.eye(3)[[0, 0, 0, 2]]
    assert class_histogram_entropy(p) == pytest.approx(-(0.75 * math.log(0.75)
                                                         + 0.25 * math.log(0.25)))


# --- the classifier, on a toy dataset it learns in seconds ---

def bar_images(n, seed):
    """Class c: a horizontal bar at row 1 + 2.5 c, shifted by up to 2 pixels sideways,
    on uniform noise up to 0.3. Returns images (n, 28, 28, 1) in [0, 1] and labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = rng.uniform(0, 0.3, size=(n, 28, 28, 1))
    for i, c in enumerate(labels):
        row, col = int(1 + 2.5 * c), 4 + rng.integers(-2, 3)
        x[i, row:row + 2, col:col + 20, 0] = 1.0
    return x.astype("float32"), labels


@pytest.fixture(scope="module")
def trained():
    seed_everything(0)
    classifier = build_classifier()
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3), **classifier_compile_arguments())
    x, y = bar_images(2000, 0)
    classifier.fit(x, y, epochs=2, batch_size=64, verbose=0)
    return classifier, bar_images(1000, 1)


def test_classifier_has_logits_and_a_named_penultimate_layer():
    seed_everything(0)
    classifier = build_classifier(num_classes=10, feature_dim=128)
    assert classifier.output.shape == (None, 10)
    assert classifier.get_layer(FEATURES_LAYER).output.shape == (None, 128)
    # conv 3x3x1x32 + 32, conv 3x3x32x64 + 64, dense (5*5*64)x128 + 128, dense 128x10 + 10
    expected = (9 * 32 + 32) + (9 * 32 * 64 + 64) + (5 * 5 * 64 * 128 + 128) + (128 * 10 + 10)
    assert classifier.count_params() == expected


def test_trained_classifier_is_accurate_confident_and_balanced_on_real_images(trained):
    classifier, (x_test, y_test) = trained
    p = class_probabilities(classifier, x_test, batch_size=300)
    assert p.shape == (1000, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(p.argmax(axis=1) == y_test) > 0.95
    assert mean_confidence(p) > 0.8
    counts = np.bincount(y_test, minlength=10) / len(y_test)
    assert class_histogram_entropy(p) == pytest.approx(-(counts * np.log(counts)).sum(), abs=0.05)


def test_features_are_batched_and_separate_real_from_unlike_images(trained):
    classifier, (x_test, _) = trained
    features = classifier_features(classifier, x_test, batch_size=128)
    assert features.shape == (1000, 128)
    np.testing.assert_allclose(classifier_features(classifier, x_test, batch_size=1000),
                               features, rtol=1e-5, atol=1e-5)
    same_kind = classifier_features(classifier, bar_images(1000, 2)[0])
    noise = classifier_features(
        classifier, np.random.default_rng(3).uniform(size=(1000, 28, 28, 1)).astype("float32"))
    assert frechet_distance(features, same_kind) < 0.2 * frechet_distance(features, noise)


def test_sample_quality_combines_the_three_figures(trained):
    classifier, (x_test, _) = trained
    reference = feature_statistics(classifier_features(classifier, x_test))
    samples = bar_images(500, 4)[0]
    report = sample_quality(classifier, samples, reference, batch_size=200)
    p = class_probabilities(classifier, samples)
    assert report["mean_confidence"] == pytest.approx(mean_confidence(p), rel=1e-6)
    assert report["class_entropy"] == pytest.approx(class_histogram_entropy(p))
    assert report["frechet_distance"] == pytest.approx(
        gaussian_frechet_distance(*feature_statistics(classifier_features(classifier, samples)),
                                  *reference), rel=1e-5)
    # images of one class only: low class entropy
    x_one, y_one = bar_images(1000, 5)
    one_class = sample_quality(classifier, x_one[y_one == 3], reference)
    assert one_class["class_entropy"] < 0.2 < report["class_entropy"]
    assert one_class["frechet_distance"] > report["frechet_distance"]


# --- errors ---

def test_bad_arguments_are_refused_with_what_was_expected():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(30, 4))
    with pytest.raises(ValueError, match=r"same feature_dim; got 4 and 3"):
        frechet_distance(a, a[:, :3])
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"features contain 1 NaN"):
        frechet_distance(a, bad)
    with pytest.raises(ValueError, match=r"count >= 2; got \(1, 4\)"):
        feature_statistics(a[:1])
    with pytest.raises(ValueError, match=r"covariances \(f, f\) for one f"):
        gaussian_frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match=r"sum to 1.*not logits"):
        mean_confidence(a)
    with pytest.raises(ValueError, match=r"probabilities must have shape \(count, num_classes\)"):
        class_histogram_entropy(np.ones(5) / 5)
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        build_classifier(num_classes=1)


def test_bad_images_and_layer_names_are_refused(trained):
    classifier, (x_test, _) = trained
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28, 1\)"):
        class_probabilities(classifier, x_test.reshape(-1, 784))
    with pytest.raises(ValueError, match=r"pixel values must be in \[0, 1\]"):
        classifier_features(classifier, x_test * 255)
    with pytest.raises(ValueError, match=r"no layer named 'penultimate'.*'features'"):
        classifier_features(classifier, x_test, layer_name="penultimate")
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        classifier_features(classifier, x_test, batch_size=0)
