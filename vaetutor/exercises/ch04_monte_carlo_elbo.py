"""Exercise 04: the diagonal Gaussian log-density and the single-sample Monte-Carlo ELBO."""

from __future__ import annotations

import inspect
import math

import numpy as np

from keras import ops

from ..layers import reparameterize
from ..losses import bernoulli_log_likelihood, gaussian_log_density
from .feedback import Mistake, Case, judge, passed, function_name, check_callable, numpy_reference, away_from_zero
LOG_2PI = math.log(2.0 * math.pi)


def _log_density_terms(z, mean, log_var):
    z, mean, log_var = (np.asarray(a, np.float64) for a in (z, mean, log_var))
    return z, mean, log_var


def _log_density_mistakes():
    def density(inside, reduce=lambda t: t.sum(axis=-1)):
        def compute(z, mean, log_var):
            z, mean, log_var = _log_density_terms(z, mean, log_var)
            return -0.5 * reduce(np.broadcast_to(inside(z, mean, log_var), z.shape))
        return compute

    right = lambda z, m, lv: LOG_2PI + lv + (z - m) ** 2 * np.exp(-lv)  # noqa: E731
    ref = density(right)
    return [
        Mistake("flipped sign", "you returned minus the log-density (it comes out positive where "
                "it should be negative here): log N = -1/2 * sum(log(2 pi) + log_var + "
                "(z - mean)^2 / exp(log_var)).", lambda *a: -ref(*a)),
        Mistake("missing 1/2", "your log-density is twice the right one: the factor -1/2 in "
                "front of the sum is missing its 1/2.", lambda *a: 2 * ref(*a)),
        Mistake("extra 1/2", "your log-density is half the right one: there is one 1/2 too many.",
                lambda *a: 0.5 * ref(*a)),
        Mistake("log-variance used as a standard deviation",
                "you treated log_var as the standard deviation sigma (dividing by log_var^2 and "
                "taking log(log_var^2)). It is log(sigma^2): divide by exp(log_var) and add "
                "log_var itself.",
                density(lambda z, m, lv: LOG_2PI + np.log(lv ** 2) + (z - m) ** 2 / lv ** 2)),
        Mistake("log-variance used as a standard deviation",
                "you divided by log_var^2 as if log_var were the standard deviation. The "
                "variance is exp(log_var).",
                density(lambda z, m, lv: LOG_2PI + lv + (z - m) ** 2 / lv ** 2)),
        Mistake("log-variance used as a variance",
                "you divided by log_var as if it were the variance. The variance is "
                "exp(log_var): the term is (z - mean)^2 * exp(-log_var).",
                density(lambda z, m, lv: LOG_2PI + lv + (z - m) ** 2 / lv)),
        Mistake("log-variance used as a variance",
                "you treated log_var as the variance (its log, and dividing by it). It is "
                "log(sigma^2) already: add log_var and divide by exp(log_var).",
                density(lambda z, m, lv: LOG_2PI + np.log(lv) + (z - m) ** 2 / lv)),
        Mistake("multiplied by the variance",
                "you multiplied (z - mean)^2 by exp(log_var); divide by the variance: "
                "multiply by exp(-log_var).",
                density(lambda z, m, lv: LOG_2PI + lv + (z - m) ** 2 * np.exp(lv))),
        Mistake("standard deviation used as the variance",
                "you divided by exp(log_var / 2), the standard deviation; divide "
                "(z - mean)^2 by the variance exp(log_var).",
                density(lambda z, m, lv: LOG_2PI + lv + (z - m) ** 2 * np.exp(-0.5 * lv))),
        Mistake("missing log(2 pi)", "the normalising constant log(2 pi), once per dimension, is "
                "missing.", density(lambda z, m, lv: lv + (z - m) ** 2 * np.exp(-lv))),
        Mistake("missing log-variance term", "the normaliser's log_var term is missing: "
                "log N = -1/2 * sum(log(2 pi) + log_var + (z - mean)^2 / exp(log_var)).",
                density(lambda z, m, lv: LOG_2PI + 0 * lv + (z - m) ** 2 * np.exp(-lv))),
        Mistake("mean instead of sum over latent dimensions",
                "you averaged over the dimensions; the log-density of independent dimensions is "
                "the sum of theirs: sum over the last axis.",
                density(right, lambda t: t.mean(axis=-1))),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch; return one log-density per "
                "example, shape (batch,).", lambda *a: ref(*a).mean()),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch (a sum over all examples); return "
                "one log-density per example, shape (batch,).", lambda *a: ref(*a).sum()),
        Mistake("wrong axis", "you summed over axis 0, the batch, and got one value per "
                "dimension. Sum over the last axis: axis=-1.",
                density(right, lambda t: t.sum(axis=0))),
    ]


def check_log_density(fn, seed: int = 0) -> bool:
    """Check ``fn(z, mean, log_var)`` = log N(z; mean, diag(exp(log_var))) per example.

    log N = -1/2 * sum_j [log(2 pi) + log_var_j + (z_j - mean_j)^2 * exp(-log_var_j)], summed
    over the ``d`` dimensions. ``z``: ``(batch, d)``; ``mean``, ``log_var``: ``(batch, d)`` or
    scalars (0.0 and 0.0 for the prior N(0, I)). Result ``(batch,)``. Compared with
    :func:`vaetutor.losses.gaussian_log_density`.
    """
    __tracebackhide__ = True
    check_callable(fn, "gaussian_log_density(z, mean, log_var)")
    name = function_name(fn)
    rng = np.random.default_rng(seed)
    shape = (6, 4)
    z = away_from_zero(rng, -3, 3, shape, margin=0.5)
    mean = away_from_zero(rng, -2, 2, shape, margin=0.3)
    log_var = away_from_zero(rng, -3, 2, shape)
    log_var[np.abs(log_var - 1) < 0.15] += 0.3
    log_var[:2] = np.abs(log_var[:2])  # rows where log(log_var) is defined
    cases = [
        Case((z, mean, log_var), "for random z, mean, log_var of shape (6, 4)"),
        Case((z, mean, log_var), "for Keras tensors of shape (6, 4)", as_tensors=True),
        Case((z, np.float32(0.0), np.float32(0.0)),
             "for the prior N(0, I), with mean = 0.0 and log_var = 0.0 given as scalars"),
        Case((np.float32([[0.5, -1.0, 2.0]]), np.float32([[0.5, 0.0, 1.0]]),
              np.float32([[-6.0, 3.0, 0.4]])),
             "for one example (batch of 1) with a very small and a large variance"),
    ]
    hint = ("Recall log N = -1/2 * sum over the last axis of (log(2 pi) + log_var + "
            "(z - mean)^2 * exp(-log_var)).")
    for case in cases:
        judge(fn, name, case, numpy_reference(gaussian_log_density), _log_density_mistakes(),
               per="example", hint_inputs=hint)
    return passed(name, len(cases))


def _np_log_density(z, mean, log_var):
    z, mean, log_var = _log_density_terms(z, mean, log_var)
    return -0.5 * np.sum(LOG_2PI + log_var + (z - mean) ** 2 * np.exp(-log_var), axis=-1)


def _np_bernoulli(x, logits, reduce=lambda t: t.sum(axis=-1)):
    x, logits = np.asarray(x, np.float64), np.asarray(logits, np.float64)
    return reduce(x * logits - np.logaddexp(0.0, logits))


def _elbo_mistakes():
    def elbo(log_px=_np_bernoulli, kl_sign=1.0):
        def compute(x, logits, z, z_mean, z_log_var):
            return log_px(x, logits) + kl_sign * (_np_log_density(z, 0.0, 0.0)
                                                   - _np_log_density(z, z_mean, z_log_var))
        return compute

    ref = elbo()
    return [
        Mistake("flipped sign", "you returned the negative ELBO (the loss). The ELBO estimate is "
                "log p(x|z) + log p(z) - log q(z|x); the model minimises its negative.",
                lambda *a: -ref(*a)),
        Mistake("flipped sign", "the KL part has its sign flipped: it is + log p(z) - log q(z|x) "
                "(the single-sample estimate of -KL), not - log p(z) + log q(z|x).",
                elbo(kl_sign=-1.0)),
        Mistake("mean instead of sum over pixels", "you averaged log p(x|z) over the pixels; "
                "the pixels are independent, so their log-likelihoods add up: sum over the 784 "
                "pixels.", elbo(log_px=lambda x, l: _np_bernoulli(x, l, lambda t: t.mean(axis=-1)))),
        Mistake("missing log p(z)", "the prior's log-density log p(z) = log N(z; 0, I) is missing.",
                lambda x, l, z, m, lv: _np_bernoulli(x, l) - _np_log_density(z, m, lv)),
        Mistake("missing log q(z|x)", "the encoder's log-density log q(z|x) is missing.",
                lambda x, l, z, m, lv: _np_bernoulli(x, l) + _np_log_density(z, 0.0, 0.0)),
        Mistake("analytic KL instead of the single-sample estimate",
                "you subtracted the analytic KL. This exercise is the Monte-Carlo ELBO: use the "
                "one sample z, log p(z) - log q(z|x).",
                lambda x, l, z, m, lv: _np_bernoulli(x, l)
                + 0.5 * np.sum(1 + np.asarray(lv, float) - np.asarray(m, float) ** 2 - np.exp(lv), axis=-1)),
        Mistake("flipped sign", "log p(x|z) has its sign flipped: for logits l it is "
                "sum(x * l - softplus(l)), which is never positive.",
                lambda x, l, z, m, lv: -_np_bernoulli(x, l) + _np_log_density(z, 0.0, 0.0)
                - _np_log_density(z, m, lv)),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch; return one ELBO estimate per "
                "example, shape (batch,).", lambda *a: ref(*a).mean()),
        Mistake("wrong axis", "you reduced over axis 0, the batch; sum over the pixels (the last "
                "axis) for log p(x|z) and over the latent dimensions for the densities.",
                lambda x, l, z, m, lv: _np_bernoulli(x, l, lambda t: t.sum(axis=0))),
    ]


def check_monte_carlo_elbo(fn, seed: int = 0) -> bool:
    """Check ``fn(x, logits, z, z_mean, z_log_var, log_density=...)``: the single-sample ELBO.

    ELBO ~ log p(x|z) + log p(z) - log q(z|x), per example, with log p(x|z) =
    sum_pixels [x * logits - softplus(logits)], log p(z) = log N(z; 0, I) and log q(z|x) =
    log N(z; z_mean, diag(exp(z_log_var))). ``x``, ``logits``: ``(batch, 784)``; ``z``,
    ``z_mean``, ``z_log_var``: ``(batch, latent_dim)``; result ``(batch,)``.

    The check passes the package's :func:`vaetutor.losses.gaussian_log_density` as
    ``log_density=`` so that a mistake in the student's log-density is not counted twice; a
    function without that argument is called without it.
    """
    __tracebackhide__ = True
    check_callable(fn, "monte_carlo_elbo(x, logits, z, z_mean, z_log_var)")
    name = function_name(fn)
    try:
        takes_density = "log_density" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_density = False
    kwargs = {"log_density": gaussian_log_density} if takes_density else {}
    rng = np.random.default_rng(seed)
    batch, pixels, latent = 5, 784, 3
    x = (rng.uniform(size=(batch, pixels)) > 0.6).astype(np.float32)
    x[:, :100] = rng.uniform(size=(batch, 100)).astype(np.float32)  # some grey pixels
    logits = rng.normal(0.0, 3.0, (batch, pixels)).astype(np.float32)
    z_mean = away_from_zero(rng, -2, 2, (batch, latent), margin=0.3)
    z_log_var = away_from_zero(rng, -3, 1, (batch, latent))
    z = ops.convert_to_numpy(reparameterize(z_mean, z_log_var,
                                             rng.standard_normal((batch, latent))))

    def reference(x, logits, z, z_mean, z_log_var):
        """log p(x|z) + log N(z; 0, I) - log N(z; z_mean, diag(exp(z_log_var))), per example."""
        elbo = (bernoulli_log_likelihood(x, logits) + gaussian_log_density(z, 0.0, 0.0)
                - gaussian_log_density(z, z_mean, z_log_var))
        return ops.convert_to_numpy(elbo)

    cases = [
        Case((x, logits, z, z_mean, z_log_var), "for random inputs (batch 5, 784 pixels, "
             "latent_dim 3)", kwargs=kwargs),
        Case((x, logits, z, z_mean, z_log_var), "for Keras tensors (batch 5, 784 pixels, "
             "latent_dim 3)", as_tensors=True, kwargs=kwargs),
        Case((x[:1], logits[:1], z[:1], z_mean[:1], z_log_var[:1]),
             "for one example (batch of 1)", kwargs=kwargs),
    ]
    hint = "Recall ELBO ~ log p(x|z) + log p(z) - log q(z|x), each summed per example."
    for case in cases:
        judge(fn, name, case, reference, _elbo_mistakes(), per="example", hint_inputs=hint)
    return passed(name, len(cases))
