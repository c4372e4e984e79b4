"""How good are the codes? How much they say about the class, and how well they match the prior.

Two questions the articles answer by eye:

- **Informative codes**: a classifier fitted on the training images' codes predicts the test
  images' classes. k-nearest neighbours (Euclidean distance in latent space, the geometry the
  scatter plots show) asks whether classes form neighbourhoods; a linear probe (multinomial
  logistic regression) asks whether they are linearly separable. Both with scikit-learn, the
  field's tool; both return the fraction of test codes whose class is predicted right (chance is
  1 / number of classes).
- **Codes that match the prior**: if the aggregate of the codes is N(0, I), decoding prior
  samples gives images like the data. We report the codes' mean (should be 0) and covariance
  (should be I), the KL from N(0, I) of the Gaussian with that mean and covariance, the fraction
  of codes beyond radius 1, 2 and 3 against the prior's (from the chi-square distribution with d
  degrees of freedom), and the MMD to N(0, I) (:func:`vaetutor.evaluation.code_mmd_to_prior`).

For the VAEs, the *mean* codes z_mean (what the scatter plots show) and *sampled* codes
z ~ q(z|x) (what the decoder is trained on, and whose aggregate the KL term pulls to N(0, I))
differ: :func:`sample_codes` draws the latter. The MMD-VAE's codes are deterministic.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from keras import ops

from .checks import positive_int
from .data import check_images
from .layers import reparameterize
from .evaluation import code_mmd_to_prior
from .vae import posterior

#: the radii of :func:`prior_match`
RADII = (1.0, 2.0, 3.0)


def _check_codes(codes, name):
    codes = np.asarray(codes)
    if not (np.issubdtype(codes.dtype, np.number) or codes.dtype == bool):
        raise ValueError(f"{name} must hold numbers; got dtype {codes.dtype}")
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"{name} must have shape (count, latent_dim) with count >= 1; got "
                         f"{codes.shape}" + (" - add a latent axis with codes[:, None]"
                                             if codes.ndim == 1 else ""))
    codes = codes.astype("float64", copy=False)
    bad = int(np.sum(~np.isfinite(codes)))
    if bad:
        raise ValueError(f"{name} contains {bad} NaN or infinite values; expected finite codes "
                         "(a model whose loss became NaN encodes to NaN)")
    return codes


def _check_labels(labels, count, name):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != count:
        raise ValueError(f"{name} must have shape ({count},), one class per code; got "
                         f"{labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        if labels.size and not (np.issubdtype(labels.dtype, np.floating)
                                and np.all(labels == np.round(labels))):
            raise ValueError(f"{name} must be integer class labels; got dtype {labels.dtype}")
        labels = labels.astype("int64")
    return labels


def _check_split(train_codes, train_labels, test_codes, test_labels):
    train_codes = _check_codes(train_codes, "train_codes")
    test_codes = _check_codes(test_codes, "test_codes")
    if train_codes.shape[1] != test_codes.shape[1]:
        raise ValueError(f"train_codes and test_codes must have the same latent_dim; got "
                         f"{train_codes.shape[1]} and {test_codes.shape[1]}")
    return (train_codes, _check_labels(train_labels, len(train_codes), "train_labels"),
            test_codes, _check_labels(test_labels, len(test_codes), "test_labels"))


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=5):
    """Accuracy of a k-nearest-neighbour classifier of the codes, fitted on the training codes.

    Each test code gets the majority class of its ``k`` nearest training codes (Euclidean
    distance in latent space, unscaled; a tied vote goes to the smallest class label, as in
    scikit-learn's ``KNeighborsClassifier``). Shapes: codes ``(n, d)``, labels ``(n,)``
    integers. Returns the fraction of test codes classified right, in [0, 1].

    Memory: scikit-learn uses a tree for d <= 15 and otherwise computes the distances in
    blocks of at most 256 MiB (its ``working_memory``), so 60,000 training and 10,000 test
    codes stay well within 2 GiB.
    """
    from sklearn import config_context
    from sklearn.neighbors import KNeighborsClassifier

    train_codes, train_labels, test_codes, test_labels = _check_split(
        train_codes, train_labels, test_codes, test_labels)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= len(train_codes):
        raise ValueError(f"k must be an integer in [1, {len(train_codes)}] (the number of "
                         f"training codes); got {k!r}")
    with config_context(working_memory=256):
        classifier = KNeighborsClassifier(n_neighbors=int(k)).fit(train_codes, train_labels)
        return float(np.mean(classifier.predict(test_codes) == test_labels))


def linear_probe_accuracy(train_codes, train_labels, test_codes, test_labels, *, C=1.0,
                          max_iter=1000):
    """Accuracy of a linear classifier (a "linear probe") of the codes, fitted on the training
    codes.

    Multinomial logistic regression, p(class | z) = softmax(A z + c), fitted by L-BFGS with an
    L2 penalty of strength 1/``C`` on the codes standardised to mean 0 and variance 1 per
    dimension (the scale of a latent dimension says nothing about separability, and
    standardising makes the fit converge). Shapes as for :func:`knn_accuracy`. Returns the
    fraction of test codes classified right, in [0, 1].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_codes, train_labels, test_codes, test_labels = _check_split(
        train_codes, train_labels, test_codes, test_labels)
    if not (isinstance(C, numbers.Real) and C > 0 and math.isfinite(C)):
        raise ValueError(f"C must be a finite number > 0 (the inverse penalty); got {C!r}")
    if len(np.unique(train_labels)) < 2:
        raise ValueError("train_labels must hold at least two classes to fit a classifier")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
    probe.fit(train_codes, train_labels)
    return float(np.mean(probe.predict(test_codes) == test_labels))


def standard_normal_fraction_beyond(radius, latent_dim):
    """P(||z|| > radius) for z ~ N(0, I_d): the prior's share of codes beyond a radius.

    ||z||^2 is chi-square with d degrees of freedom, so the fraction is its survival function
    at radius^2, the regularised upper incomplete gamma function Q(d/2, radius^2 / 2). For
    d = 2 that is exp(-radius^2 / 2): 0.607, 0.135 and 0.011 at radii 1, 2 and 3.
    """
    from scipy.special import gammaincc

    if isinstance(latent_dim, bool) or not isinstance(latent_dim, numbers.Integral) \
            or latent_dim < 1:
        raise ValueError(f"latent_dim must be an integer >= 1; got {latent_dim!r}")
    if not (isinstance(radius, numbers.Real) and radius >= 0 and math.isfinite(radius)):
        raise ValueError(f"radius must be a finite number >= 0; got {radius!r}")
    return float(gammaincc(latent_dim / 2.0, radius**2 / 2.0))


def fraction_beyond(codes, radii=RADII):
    """The fraction of codes with ||z|| > r, for each r of ``radii``: ``{r: fraction}``."""
    codes = _check_codes(codes, "codes")
    norms = np.linalg.norm(codes, axis=1)
    return {float(r): float(np.mean(norms > r)) for r in radii}


def prior_match(codes, *, radii=RADII, mmd_n=2000, mmd_repeats=5, seed=0):
    """How far the codes ``(n, d)`` are from the prior N(0, I), as a dict of figures.

    - ``mean`` ``(d,)`` and ``covariance`` ``(d, d)`` of the codes (N(0, I): 0 and I), with
      ``mean_norm`` = ||mean|| and ``covariance_error`` = ||covariance - I|| (Frobenius);
    - ``gaussian_kl``: KL(N(mean, covariance) || N(0, I))
      = 1/2 [tr(covariance) + ||mean||^2 - d - log det(covariance)], in nats: 0 when the first
      two moments match the prior's (it does not see other departures, the MMD does);
    - ``fraction_beyond`` ``{r: fraction}`` of codes with ||z|| > r, and ``prior_fraction_beyond``
      the same for N(0, I) (:func:`standard_normal_fraction_beyond`): codes packed near the
      origin have smaller fractions, codes spread wide larger ones;
    - ``mmd`` and ``mmd_se``: MMD^2 to N(0, I) with the training loss's kernel, the mean and
      standard error over ``mmd_repeats`` subsets of ``mmd_n`` codes
      (:func:`vaetutor.evaluation.code_mmd_to_prior`, seeded with ``seed``).
    """
    codes = _check_codes(codes, "codes")
    n, d = codes.shape
    if n < 2:
        raise ValueError(f"codes must hold at least 2 codes for a covariance; got {n}")
    mean = codes.mean(axis=0)
    covariance = np.atleast_2d(np.cov(codes, rowvar=False))
    sign, logdet = np.linalg.slogdet(covariance)
    gaussian_kl = (0.5 * (np.trace(covariance) + mean @ mean - d - logdet) if sign > 0
                   else math.inf)
    mmd, mmd_se = code_mmd_to_prior(codes, n=mmd_n, repeats=mmd_repeats, seed=seed)
    return {
        "mean": mean,
        "covariance": covariance,
        "mean_norm": float(np.linalg.norm(mean)),
        "covariance_error": float(np.linalg.norm(covariance - np.eye(d))),
        "gaussian_kl": float(gaussian_kl),
        "fraction_beyond": fraction_beyond(codes, radii),
        "prior_fraction_beyond": {float(r): standard_normal_fraction_beyond(r, d) for r in radii},
        "mmd": mmd,
        "mmd_se": mmd_se,
    }


def sample_codes(model, x, *, seed=0, batch_size=1000):
    """Codes drawn from the encoder, z = z_mean + exp(z_log_var / 2) * eps, one per image.

    ``model.encoder(x) -> [z_mean, z_log_var]`` (a VAE). ``eps ~ N(0, I)`` comes from
    ``numpy.random.default_rng(seed)`` in the order of the images, so the same seed gives the
    same codes whatever ``batch_size``. Returns float32 ``(n, latent_dim)``. For the mean codes,
    use ``model.encode(x)``.
    """
    batch_size = positive_int(batch_size, "batch_size")
    layout = getattr(model, "image_layout", "any")
    x = check_images(x, layout=layout)
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, len(x), batch_size):
        z_mean, z_log_var = posterior(model, x[start:start + batch_size])
        eps = rng.standard_normal(z_mean.shape, dtype=np.float32)
        out.append(ops.convert_to_numpy(reparameterize(z_mean, z_log_var, eps)))
    return np.concatenate(out)


def code_report(model, x_train, y_train, x_test, y_test, *, k=5, seed=0, batch_size=1000):
    """Every figure of this module for one model, as ``{"mean": {...}, "sampled": {...}}``.

    ``"mean"``: the deterministic codes ``model.encode`` (z_mean for a VAE, z for the MMD-VAE);
    ``"sampled"`` (Gaussian encoders only): codes z ~ q(z|x) from :func:`sample_codes`, the
    training images' drawn with ``seed`` and the test images' with ``seed + 1``. Each holds
    ``knn_accuracy`` and ``linear_probe_accuracy`` (fitted on the training codes, scored on the
    test codes) and the :func:`prior_match` figures of the test codes.
    """
    kinds = {"mean": (model.encode(x_train, batch_size), model.encode(x_test, batch_size))}
    outputs = model.encoder(check_images(x_test[:1], layout=getattr(model, "image_layout",
                                                                     "any")), training=False)
    if isinstance(outputs, (list, tuple)) and len(outputs) == 2:
        kinds["sampled"] = (sample_codes(model, x_train, seed=seed, batch_size=batch_size),
                            sample_codes(model, x_test, seed=seed + 1, batch_size=batch_size))
    report = {}
    for kind, (train_codes, test_codes) in kinds.items():
        report[kind] = {
            "knn_accuracy": knn_accuracy(train_codes, y_train, test_codes, y_test, k=k),
            "linear_probe_accuracy": linear_probe_accuracy(train_codes, y_train, test_codes,
                                                           y_test),
            **prior_match(test_codes, seed=seed),
        }
    return report
