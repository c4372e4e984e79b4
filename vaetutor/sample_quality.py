"""Sample quality: what a classifier trained on the real images makes of a model's samples.

A small convolutional classifier is trained once on the real training images (its weights are
published like the models'). On samples decoded from prior draws z ~ N(0, I) it gives three
figures, the ideas of the Inception score and the Fréchet Inception distance at MNIST scale:

- **mean confidence**: the mean over samples of max_c p(c | x). Sharp, recognisable samples
  score near 1; blurry ones that sit between classes score lower.
- **class-histogram entropy**: H = -sum_c h_c log h_c (nats) of the histogram h of the
  classifier's predicted classes over all samples. log 10 = 2.303 when every class is drawn
  equally often (as in the test set), lower when the model favours some classes or never draws
  others.
- **Fréchet distance** between the classifier's penultimate-layer features of the samples and
  of the test images: the squared 2-Wasserstein distance between Gaussians fitted to the two
  feature sets,

      FD = ||mu_1 - mu_2||^2 + tr(S_1) + tr(S_2) - 2 tr((S_1^(1/2) S_2 S_1^(1/2))^(1/2)),

  0 for identical sets, growing as the samples' features move away from the real images'
  (both in what they look like and in how varied they are).

All three are only as good as the classifier, and only comparable between models scored with the
same classifier and the same number of samples (the Fréchet distance of a finite sample is biased
upwards, more so for fewer samples).
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
from keras import ops

from .autoencoder import in_batches
from .checks import positive_int
from .data import IMAGE_SHAPE, check_images

#: the name of the classifier's penultimate layer, whose outputs are the features
FEATURES_LAYER = "features"


def build_classifier(num_classes=10, feature_dim=128, name="classifier"):
    """A small convolutional classifier of 28x28x1 images, outputting logits (not compiled).

    x ``(batch, 28, 28, 1)`` -> Conv(32, 3, relu) -> MaxPool(2) -> Conv(64, 3, relu) ->
    MaxPool(2) -> Flatten -> Dense(``feature_dim``, relu, name ``"features"``) -> Dropout(0.3)
    -> Dense(``num_classes``) logits: 225,034 weights with the defaults. Train it with the
    engine (:func:`vaetutor.runs.classifier_run`), which compiles it with Adam and
    :func:`classifier_compile_arguments`. Seed with
    :func:`vaetutor.seeding.seed_everything` first for repeatable weights.
    """
    for arg, value in (("num_classes", num_classes), ("feature_dim", feature_dim)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
            raise ValueError(f"{arg} must be an integer >= 2; got {value!r}")
    x = keras.Input(shape=IMAGE_SHAPE, name="x")
    h = keras.layers.Conv2D(32, 3, activation="relu", name="conv_1")(x)
    h = keras.layers.MaxPooling2D(2, name="pool_1")(h)
    h = keras.layers.Conv2D(64, 3, activation="relu", name="conv_2")(h)
    h = keras.layers.MaxPooling2D(2, name="pool_2")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURES_LAYER)(h)
    h = keras.layers.Dropout(0.3, name="dropout")(features)
    logits = keras.layers.Dense(num_classes, name="logits")(h)
    return keras.Model(x, logits, name=name)


def classifier_compile_arguments() -> dict:
    """``compile``'s loss and metrics for the classifier: the cross-entropy of integer labels
    from logits (mean over the batch), and the accuracy."""
    return dict(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])



def class_probabilities(classifier, x, batch_size=500):
    """p(c | x) = softmax(logits) for each image, in batches: NumPy ``(n, num_classes)``."""
    x = check_images(x, layout="image")
    batch_size = positive_int(batch_size, "batch_size")
    return in_batches(lambda b: ops.softmax(classifier(b, training=False), axis=-1), x,
                      batch_size).astype("float64")


def _layer_output(classifier, layer_name):
    try:
        return classifier.get_layer(layer_name).output
    except ValueError:
        names = [layer.name for layer in classifier.layers]
        raise ValueError(f"the classifier has no layer named {layer_name!r}; its layers are "
                         f"{names}") from None


def classifier_features(classifier, x, batch_size=500, layer_name=FEATURES_LAYER):
    """The outputs of the classifier's layer ``layer_name`` (the penultimate layer of
    :func:`build_classifier`) for each image, in batches: NumPy float64 ``(n, feature_dim)``."""
    x = check_images(x, layout="image")
    batch_size = positive_int(batch_size, "batch_size")
    extractor = keras.Model(classifier.input, _layer_output(classifier, layer_name))
    return in_batches(lambda b: extractor(b, training=False), x, batch_size).astype("float64")


def _features_and_probabilities(classifier, x, batch_size, layer_name=FEATURES_LAYER):
    """One pass through the classifier: features ``(n, f)`` and p(c | x) ``(n, C)``."""
    x = check_images(x, layout="image")
    batch_size = positive_int(batch_size, "batch_size")
    both = keras.Model(classifier.input,
                       [_layer_output(classifier, layer_name), classifier.outputs[0]])
    features, probabilities = [], []
    for start in range(0, len(x), batch_size):
        f, logits = both(x[start:start + batch_size], training=False)
        features.append(ops.convert_to_numpy(f))
        probabilities.append(ops.convert_to_numpy(ops.softmax(logits, axis=-1)))
    return (np.concatenate(features).astype("float64"),
            np.concatenate(probabilities).astype("float64"))


def _check_probabilities(probabilities):
    p = np.asarray(probabilities, dtype="float64")
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError("probabilities must have shape (count, num_classes) with count >= 1 "
                         f"and num_classes >= 2; got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"probabilities contain {int(np.sum(~np.isfinite(p)))} NaN or "
                         "infinite values; expected finite values")
    if p.min() < 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be >= 0 and sum to 1 over classes (each row); "
                         "pass softmax outputs, e.g. from class_probabilities, not logits")
    return p


def mean_confidence(probabilities):
    """Mean over images of the largest class probability, max_c p(c | x): in [1/C, 1].

    ``probabilities``: ``(n, C)`` rows summing to 1 (:func:`class_probabilities`).
    """
    return float(_check_probabilities(probabilities).max(axis=1).mean())


def class_histogram_entropy(probabilities):
    """Entropy, in nats, of the histogram of predicted classes argmax_c p(c | x).

    h_c = (number of images predicted as class c) / n, H = -sum_{c: h_c > 0} h_c log h_c:
    log C when every class is predicted equally often, 0 when all images get one class.
    ``probabilities``: ``(n, C)``.
    """
    p = _check_probabilities(probabilities)
    h = np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)
    h = h[h > 0]
    return float(-(h * np.log(h)).sum())


def feature_statistics(features):
    """Mean ``(f,)`` and covariance ``(f, f)`` (unbiased, over rows) of features ``(n, f)``."""
    features = np.asarray(features, dtype="float64")
    if features.ndim != 2 or len(features) < 2:
        raise ValueError("features must have shape (count, feature_dim) with count >= 2; got "
                         f"{features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"features contain {int(np.sum(~np.isfinite(features)))} NaN or "
                         "infinite values; expected finite values")
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def _psd_sqrt(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix, from its
    eigendecomposition, with eigenvalues below 0 (rounding) set to 0."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def gaussian_frechet_distance(mean_1, cov_1, mean_2, cov_2):
    """Fréchet (squared 2-Wasserstein) distance between N(mean_1, cov_1) and N(mean_2, cov_2).

        FD = ||mean_1 - mean_2||^2 + tr(cov_1) + tr(cov_2) - 2 tr((cov_1 cov_2)^(1/2))

    with tr((cov_1 cov_2)^(1/2)) computed as the sum of the square roots of the eigenvalues of
    the symmetric positive semi-definite matrix cov_1^(1/2) cov_2 cov_1^(1/2) (which has the
    same eigenvalues as cov_1 cov_2): symmetric eigendecompositions only, no general matrix
    square root with complex round-off, and correct for singular covariances (more features
    than samples). Float64; a result below 0 by rounding is returned as 0.
    """
    mean_1, mean_2 = (np.asarray(m, dtype="float64").ravel() for m in (mean_1, mean_2))
    cov_1, cov_2 = (np.atleast_2d(np.asarray(c, dtype="float64")) for c in (cov_1, cov_2))
    f = len(mean_1)
    if mean_2.shape != (f,) or cov_1.shape != (f, f) or cov_2.shape != (f, f):
        raise ValueError(f"means must have shape (f,) and covariances (f, f) for one f; got "
                         f"{mean_1.shape}, {cov_1.shape}, {mean_2.shape}, {cov_2.shape}")
    for name, value in (("mean_1", mean_1), ("cov_1", cov_1), ("mean_2", mean_2),
                        ("cov_2", cov_2)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or infinite values; expected finite values")
    root_1 = _psd_sqrt(cov_1)
    middle = root_1 @ cov_2 @ root_1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())
    diff = mean_1 - mean_2
    distance = float(diff @ diff + np.trace(cov_1) + np.trace(cov_2) - 2.0 * trace_sqrt)
    return max(distance, 0.0)


def frechet_distance(features_1, features_2):
    """Fréchet distance between the Gaussians fitted to two feature sets ``(n_1, f)`` and
    ``(n_2, f)`` (:func:`feature_statistics`, :func:`gaussian_frechet_distance`)."""
    features_1, features_2 = np.asarray(features_1), np.asarray(features_2)
    if features_1.ndim == 2 and features_2.ndim == 2 and features_1.shape[1] != features_2.shape[1]:
        raise ValueError(f"features_1 and features_2 must have the same feature_dim; got "
                         f"{features_1.shape[1]} and {features_2.shape[1]}")
    return gaussian_frechet_distance(*feature_statistics(features_1),
                                     *feature_statistics(features_2))


def sample_quality(classifier, samples, reference_statistics, batch_size=500):
    """The three figures for a set of generated images, as a dict.

    Args:
        classifier: from :func:`build_classifier`, trained on the real images.
        samples: generated images ``(n, 28, 28, 1)`` in [0, 1], e.g. ``model.decode(z)`` for
            ``z ~ N(0, I)`` (10,000 of them in notebook 06).
        reference_statistics: ``(mean, covariance)`` of the classifier's features of the real
            test images: ``feature_statistics(classifier_features(classifier, x_test))``,
            computed once for all models.

    Returns ``{"mean_confidence", "class_entropy", "frechet_distance"}``, from one pass of the
    samples through the classifier. Memory: one batch of images through the classifier at a
    time, then ``(n, num_classes)`` probabilities and ``(n, feature_dim)`` features (10,000
    samples: about 11 MB).
    """
    mean, covariance = reference_statistics
    features, probabilities = _features_and_probabilities(classifier, samples, batch_size)
    return {
        "mean_confidence": mean_confidence(probabilities),
        "class_entropy": class_histogram_entropy(probabilities),
        "frechet_distance": gaussian_frechet_distance(*feature_statistics(features), mean,
                                                      covariance),
    }
