"""Notebook 06's measurements of one trained model, gathered in one place, and its results table.

:func:`score_model` runs every measurement of the evaluation modules on one model:

- the importance-weighted bound L_K on a subset of test images
  (:mod:`vaetutor.likelihood`; VAEs only: the MMD-VAE has no q(z|x));
- kNN and linear-probe accuracy of the codes and how well they match the prior
  (:mod:`vaetutor.representation`; mean codes, and sampled codes z ~ q(z|x) for the VAEs);
- the quality of samples decoded from prior draws, scored by a classifier trained on the real
  images (:mod:`vaetutor.sample_quality`);
- how smoothly morphs between test images of different classes change
  (:func:`vaetutor.morph.morph_smoothness`).

:func:`format_results` prints a list of such scores as one table.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import positive_int
from .likelihood import importance_weighted_bounds
from .morph import different_class_pairs, morph_smoothness
from .representation import code_report
from .sample_quality import sample_quality
from .vae import GaussianVAE


def as_images(x):
    """Images ``(n, 28, 28, 1)`` from images or flat 784-vectors (what the classifier takes)."""
    return np.asarray(x, "float32").reshape(len(x), 28, 28, 1)


def score_model(model, data, *, classifier, reference_statistics, iw_ks, iw_indices,
                samples=10_000, morph_pairs=500, morph_steps=10, seed=0):
    """Every measurement of notebook 06 for one trained ``model`` on ``data``.

    Args:
        model: a trained model of the series (a VAE, or the MMD-VAE).
        data: the :class:`~vaetutor.data.ImageDataset` it was trained on (its layout, and
            binarised if the model was).
        classifier, reference_statistics: the classifier trained on the real images of the
            same dataset and the (mean, covariance) of its features of the real test images.
        iw_ks: the K of the importance-weighted bound; iw_indices: the test images it is
            computed on (the bound costs K decoder passes per image).
        samples: prior draws decoded and scored; morph_pairs: test pairs of different classes
            whose morphs (``morph_steps`` images each) are measured.
        seed: the prior draws, sampled codes, pairs and importance samples.

    Returns a dict: ``"iw"``: ``{K: per-image bound (len(iw_indices),)}`` (``None`` for a model
    without q(z|x)); ``"codes"``: :func:`~vaetutor.representation.code_report`; ``"samples"``:
    :func:`~vaetutor.sample_quality.sample_quality`; ``"morph"``: the mean ``path_ratio`` and
    ``largest_step`` of :func:`~vaetutor.morph.morph_smoothness`; ``"latent_dim"``.
    """
    samples = positive_int(samples, "samples")
    iw_indices = np.asarray(iw_indices)
    if iw_indices.ndim != 1 or len(iw_indices) == 0 or not np.issubdtype(iw_indices.dtype,
                                                                         np.integer):
        raise ValueError(f"iw_indices must be a non-empty 1-D array of test-image indices; got "
                         f"{iw_indices!r}")
    score = {"latent_dim": model.latent_dim, "iw": None}
    if isinstance(model, GaussianVAE) and model.likelihood == "bernoulli":
        score["iw"] = importance_weighted_bounds(model, data.x_test[iw_indices], iw_ks,
                                                 seed=seed)
    score["codes"] = code_report(model, data.x_train, data.y_train, data.x_test, data.y_test,
                                 seed=seed)
    z = np.random.default_rng(seed).standard_normal((samples, model.latent_dim),
                                                    dtype=np.float32)
    score["samples"] = sample_quality(classifier, as_images(model.decode(z)),
                                      reference_statistics)
    first, second = different_class_pairs(data.y_test, morph_pairs, seed=seed)
    smooth = morph_smoothness(model, data.x_test[first], data.x_test[second], steps=morph_steps)
    score["morph"] = {k: float(np.mean(v)) for k, v in smooth.items()}
    return score


def mean_and_error(values):
    """``(mean, standard error of the mean)`` of per-image values ``(n,)``."""
    values = np.asarray(values, "float64")
    if values.size < 2:
        return float(values.mean()), math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


#: the table's columns: header, width, and how to get the text from a score
_COLUMNS = [
    ("model", 26, None),
    ("d", 3, lambda s, k: f"{s['latent_dim']}"),
    ("L_K", 15, lambda s, k: "—" if s["iw"] is None else
        "{:.2f} ± {:.2f}".format(*mean_and_error(s["iw"][k]))),
    ("kNN", 6, lambda s, k: f"{s['codes']['mean']['knn_accuracy']:.3f}"),
    ("probe", 6, lambda s, k: f"{s['codes']['mean']['linear_probe_accuracy']:.3f}"),
    ("MMD² z", 7, lambda s, k: f"{s['codes']['mean']['mmd']:.4f}"),
    ("MMD² z~q", 8, lambda s, k: f"{s['codes']['sampled']['mmd']:.4f}"
        if "sampled" in s["codes"] else "—"),
    (">r2 z", 6, lambda s, k: f"{s['codes']['mean']['fraction_beyond'][2.0]:.1%}"),
    ("conf", 5, lambda s, k: f"{s['samples']['mean_confidence']:.3f}"),
    ("H", 5, lambda s, k: f"{s['samples']['class_entropy']:.2f}"),
    ("FD", 6, lambda s, k: f"{s['samples']['frechet_distance']:.1f}"),
    ("morph", 5, lambda s, k: f"{s['morph']['path_ratio']:.2f}"),
]


def format_results(scores: dict, k: int) -> str:
    """One line per model of ``scores`` (``{name: score_model(...)}``), columns:

    d latent size; L_K the importance-weighted bound with ``k`` samples, mean ± standard error
    over the images it was computed on (nats); kNN and probe accuracy of the mean codes; MMD²
    to N(0, I) of the mean codes and of sampled codes; the share of mean codes beyond radius
    2; the samples' mean classifier confidence, class-histogram entropy H (nats, log 10 = 2.30
    for balanced classes) and Fréchet distance FD; morph path ratio (1 = straight).
    """
    k = positive_int(k, "k")
    names = [f"L_{k}" if name == "L_K" else name for name, _, _ in _COLUMNS]
    header = " ".join(f"{name:>{width}}" if i else f"{name:<{width}}"
                      for i, (name, (_, width, _)) in enumerate(zip(names, _COLUMNS)))
    lines = [header, "-" * len(header)]
    for name, score in scores.items():
        cells = [f"{name:<{_COLUMNS[0][1]}}"] + [f"{get(score, k):>{width}}"
                                                 for _, width, get in _COLUMNS[1:]]
        lines.append(" ".join(cells))
    return "\n".join(lines)


def format_codes(scores: dict) -> str:
    """How well the codes match N(0, I), in detail: one line per model and kind of code
    (``z``: mean codes; ``z~q``: sampled codes of a VAE), with the prior's own line per latent
    size. Columns: ||mean||, ||covariance - I|| (Frobenius), the Gaussian KL of those two
    moments to N(0, I) (nats), the shares beyond radius 1, 2 and 3, and kNN and probe accuracy.
    """
    header = (f"{'model':<26} {'codes':>5} {'|mean|':>6} {'|cov-I|':>7} {'KL(mom)':>7} "
              f"{'>r1':>6} {'>r2':>6} {'>r3':>6} {'kNN':>6} {'probe':>6}")
    lines = [header, "-" * len(header)]
    priors = {}
    for name, score in scores.items():
        for kind, label in (("mean", "z"), ("sampled", "z~q")):
            if kind not in score["codes"]:
                continue
            c = score["codes"][kind]
            beyond = [c["fraction_beyond"][r] for r in (1.0, 2.0, 3.0)]
            priors[score["latent_dim"]] = [c["prior_fraction_beyond"][r] for r in (1.0, 2.0, 3.0)]
            lines.append(f"{name:<26} {label:>5} {c['mean_norm']:6.2f} "
                         f"{c['covariance_error']:7.2f} {c['gaussian_kl']:7.3f} "
                         + " ".join(f"{b:6.1%}" for b in beyond)
                         + f" {c['knn_accuracy']:6.3f} {c['linear_probe_accuracy']:6.3f}")
    for d, beyond in sorted(priors.items()):
        lines.append(f"{f'prior N(0, I), {d}-D':<26} {'':>5} {0:6.2f} {0:7.2f} {0:7.3f} "
                     + " ".join(f"{b:6.1%}" for b in beyond))
    return "\n".join(lines)
