"""Checks that teach: one function per exercise of the companion notebooks.

Each ``check_*`` runs a student's function on random inputs (as NumPy arrays and as Keras
tensors) and on edge cases, compares what it returns with this package's reference, and when
they differ says *which* mistake it sees: a flipped sign, a missing or extra 1/2, the
log-variance used as a standard deviation or as a variance, a mean where a sum belongs, a
reduction over the batch, the wrong axis, the kernel's bandwidth without the division by the
dimension, the MMD with the cross term not doubled, and so on. A function that raises, returns
the wrong shape or returns NaN gets a sentence saying so, never a traceback from inside the check.

It works with or without nbgrader: in a notebook, ``check_kl(kl_divergence)`` prints one line when
the function is right and raises :class:`ExerciseError` (an ``AssertionError``, so nbgrader counts
the test cell as failed) with the explanation when it is not.

How a mistake is recognised: every check holds a list of *mistake variants*, each a small NumPy
function computing what a typical wrong formula gives (for the KL with its sign flipped:
``+1/2 * sum(...)``). The inputs are chosen so that the variants differ from each other and from
the right answer (means of size 1-3, log-variances spread over [-3, 2] away from 0, batch size,
latent size and sample sizes all different), so the student's output can match at most one.
A correct solution written another way (other operations, NumPy instead of ``keras.ops``) gives
the same numbers and passes.

The exercises (``notebooks/exercises/``):

==== ================================== =========================================================
 01  ``kl_gaussians_1d(m1, s1, m2, s2)`` KL(N(m1, s1^2) || N(m2, s2^2)), *standard deviations*
 02  ``reparameterize(z_mean, z_log_var, eps)``, ``kl_divergence(z_mean, z_log_var)``, and
     :func:`train_vae_with` those two, checked by :func:`check_training`
 03  the lowest held-out -ELBO of the KL sweep and the KL's fall, from the committed table
 04  ``gaussian_log_density(z, mean, log_var)``, ``monte_carlo_elbo(x, logits, z, ...)``
 05  ``gaussian_kernel_matrix(x, y)``, ``maximum_mean_discrepancy(x, y, kernel=...)``
==== ================================== =========================================================
"""

from __future__ import annotations

import inspect
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "ExerciseError",
    "check_kl_1d",
    "check_reparameterize",
    "check_kl",
    "train_vae_with",
    "TrainingReport",
    "check_training",
    "load_sweep_table",
    "show_sweep_table",
    "check_lowest_neg_elbo",
    "check_kl_factor",
    "check_log_density",
    "check_monte_carlo_elbo",
    "check_kernel",
    "check_mmd",
]

LOG_2PI = math.log(2.0 * math.pi)


class ExerciseError(AssertionError):
    """A student's answer is wrong; the message says what was seen and how to fix it."""


# --------------------------------------------------------------------------------------------
# The comparison machinery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A named typical mistake: ``compute(*args)`` gives what that wrong formula returns."""

    name: str
    explanation: str
    compute: object


@dataclass(frozen=True)
class Case:
    """One set of inputs: positional ``args`` (NumPy), and how to describe them in a message."""

    args: tuple
    what: str
    as_tensors: bool = False
    kwargs: dict = field(default_factory=dict)


def _fail(message: str):
    """Raise the explanation; a notebook's traceback shows the test cell and this frame only."""
    __tracebackhide__ = True  # IPython hides the check's own frames between the two
    raise ExerciseError(message) from None  # the message below says what is wrong


def _to_tensor(value):
    from keras import ops

    return ops.convert_to_tensor(value) if isinstance(value, np.ndarray) else value


def _as_numpy(value, fn_name: str, what: str) -> np.ndarray:
    """The student's return value as a float64 NumPy array, or a failure that says why not."""
    __tracebackhide__ = True
    if value is None:
        _fail(f"{fn_name} returned None {what}: it must return its result (is a `return` "
              "missing?).")
    try:
        from keras import ops

        array = np.asarray(ops.convert_to_numpy(value) if not isinstance(value, (int, float, np.ndarray, np.generic, list, tuple)) else value)
    except Exception as err:  # noqa: BLE001 - any failure here is the student's return type
        _fail(f"{fn_name} returned a {type(value).__name__} {what}, which is not an array of "
              f"numbers ({type(err).__name__}: {err}); return a NumPy array or a Keras tensor.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        _fail(f"{fn_name} returned values of type {array.dtype} {what}; expected numbers.")
    return array.astype(np.float64)


def _call(fn, fn_name: str, case: Case) -> np.ndarray:
    """Call the student's function on a case; an exception becomes one sentence."""
    __tracebackhide__ = True
    args = tuple(_to_tensor(a) for a in case.args) if case.as_tensors else case.args
    try:
        value = fn(*args, **case.kwargs)
    except NotImplementedError:
        _fail(f"{fn_name} raised NotImplementedError: the exercise is not done yet - replace "
              "`raise NotImplementedError()` by your code.")
    except Exception as err:  # noqa: BLE001 - report any error of student code, no traceback
        message = str(err).strip().splitlines()[0] if str(err).strip() else "(no message)"
        _fail(f"{fn_name} raised {type(err).__name__} {case.what}: {message}")
    return _as_numpy(value, fn_name, case.what)


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> bool:
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size and np.any(np.isfinite(b)) else 1.0)
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-5 * scale, equal_nan=True))


def _short(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array, dtype=np.float64), precision=4, separator=", ",
                           threshold=8, edgeitems=3, suppress_small=True)


def _judge(fn, fn_name: str, case: Case, reference, mistakes, *, per: str | None,
           hint_inputs: str, rtol: float = 1e-4):
    """Compare the student's output on ``case`` with ``reference``; fail with the best message.

    ``per``: what one output value belongs to (``"example"`` for shape ``(batch,)``,
    ``"batch"`` for a single number, ``None`` for element-wise or matrix outputs).
    """
    __tracebackhide__ = True
    got = _call(fn, fn_name, case)
    want = np.asarray(reference(*case.args), dtype=np.float64)
    if per == "batch" and got.size == 1:
        got = got.reshape(())
    if _close(got, want, rtol):
        return got
    for mistake in mistakes:
        with np.errstate(all="ignore"):
            variant = np.asarray(mistake.compute(*case.args), dtype=np.float64)
        # A variant that is NaN everywhere tells nothing apart: match only informative ones.
        if np.any(np.isfinite(variant)) and _close(got, variant, rtol):
            _fail(f"{fn_name} is not right yet - {mistake.name}: {mistake.explanation}")
    if per == "example" and got.size == 1 and want.ndim == 1 and want.size > 1:
        _fail(f"{fn_name} returned one number for the batch of {want.size} examples {case.what}: "
              "reduce per example - sum over each example's own values and keep one value per "
              f"example, shape ({want.size},); do not average or sum over the batch.")
    if got.shape != want.shape:
        _fail(f"{fn_name} returned shape {got.shape} {case.what}; expected shape {want.shape}"
              + (" (one value per example)" if per == "example" else "")
              + ". Check which axis you reduce over.")
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        _fail(f"{fn_name} returned NaN or infinite values ({bad} of {got.size}) {case.what}, "
              "where the right answer is finite: look for the log or square root of a negative "
              "number, or an exp that overflows.")
    diff = np.abs(got - want)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    _fail(f"{fn_name} gives other numbers than the reference {case.what}, and the difference "
          f"matches none of the usual mistakes: largest difference {float(np.max(diff)):.4g} at "
          f"index {tuple(int(i) for i in worst)}, where it returned {float(got[worst]):.6g} "
          f"and the right value is {float(want[worst]):.6g}. {hint_inputs}")


def _passed(fn_name: str, cases: int, extra: str = ""):
    print(f"\u2713 {fn_name} passed ({cases} checks: random inputs as NumPy arrays and as Keras "
          f"tensors, and edge cases){extra}.")
    return True


def _fn_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _check_callable(fn, what: str):
    __tracebackhide__ = True
    if not callable(fn):
        _fail(f"expected your function {what}; got a {type(fn).__name__} ({fn!r:.60}). "
              "Pass the function itself, without calling it: check(my_function).")


def _numpy_reference(package_fn):
    """The package's function (``keras.ops``), returning NumPy."""
    from keras import ops

    def reference(*args):
        return ops.convert_to_numpy(package_fn(*args))

    return reference


def _rng(seed):
    return np.random.default_rng(seed)


def _away_from_zero(rng, low, high, size, margin=0.25):
    """Uniform values in [low, high] with |value| >= margin (so that log(x^2) etc. are tame)."""
    values = rng.uniform(low, high, size)
    small = np.abs(values) < margin
    values[small] = np.where(values[small] >= 0, margin, -margin) + values[small]
    return values.astype(np.float32)


# --------------------------------------------------------------------------------------------
# 01 - the closed-form KL between two 1-D Gaussians
# --------------------------------------------------------------------------------------------


def _kl_1d(m1, s1, m2, s2):
    m1, s1, m2, s2 = (np.asarray(a, np.float64) for a in (m1, s1, m2, s2))
    return np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5


_KL_1D_MISTAKES = [
    Mistake("flipped sign", "your KL is minus the right one (it is negative where the right KL "
            "is positive). A KL divergence is never negative: check the sign of each term.",
            lambda m1, s1, m2, s2: -_kl_1d(m1, s1, m2, s2)),
    Mistake("missing 1/2", "the constant -1/2 is missing: KL = log(s2/s1) + (s1^2 + (m1 - m2)^2)"
            " / (2 s2^2) - 1/2, so that KL(p || p) = 0.",
            lambda m1, s1, m2, s2: _kl_1d(m1, s1, m2, s2) + 0.5),
    Mistake("missing 1/2", "the fraction lacks its 1/2: divide (s1^2 + (m1 - m2)^2) by 2 s2^2, "
            "not by s2^2.",
            lambda m1, s1, m2, s2: _kl_1d(m1, s1, m2, s2)
            + (np.asarray(s1, float) ** 2 + (np.asarray(m1, float) - m2) ** 2)
            / (2 * np.asarray(s2, float) ** 2)),
    Mistake("extra 1/2", "there is a 1/2 in front of the log: with standard deviations the term "
            "is log(s2/s1) (it is 1/2 log(s2^2/s1^2) with variances).",
            lambda m1, s1, m2, s2: _kl_1d(m1, s1, m2, s2) - 0.5 * np.log(np.asarray(s2, float) / s1)),
    Mistake("extra 1/2", "the whole KL is halved: only the fraction and the constant carry a 1/2.",
            lambda m1, s1, m2, s2: 0.5 * _kl_1d(m1, s1, m2, s2)),
    Mistake("flipped sign", "the log term has its ratio upside down: it is log(s2/s1), the log "
            "of the second standard deviation over the first.",
            lambda m1, s1, m2, s2: _kl_1d(m1, s1, m2, s2) - 2 * np.log(np.asarray(s2, float) / s1)),
    Mistake("standard deviation used as a variance", "you treated the arguments s1, s2 as "
            "variances; they are standard deviations: square them in the fraction and take "
            "log(s2/s1).",
            lambda m1, s1, m2, s2: 0.5 * np.log(np.asarray(s2, float) / s1)
            + (np.asarray(s1, float) + (np.asarray(m1, float) - m2) ** 2) / (2 * np.asarray(s2, float)) - 0.5),
    Mistake("standard deviation not squared", "the fraction needs the variances s1^2 and s2^2, "
            "not the standard deviations.",
            lambda m1, s1, m2, s2: np.log(np.asarray(s2, float) / s1)
            + (np.asarray(s1, float) + (np.asarray(m1, float) - m2) ** 2) / (2 * np.asarray(s2, float)) - 0.5),
    Mistake("arguments swapped", "you computed KL(N(m2, s2^2) || N(m1, s1^2)). The KL is not "
            "symmetric: the first distribution is the one the expectation is taken under.",
            lambda m1, s1, m2, s2: _kl_1d(m2, s2, m1, s1)),
]


def check_kl_1d(fn, seed: int = 0) -> bool:
    """Check ``fn(m1, s1, m2, s2)`` = KL(N(m1, s1^2) || N(m2, s2^2)), element-wise.

    KL = log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, with **standard deviations**
    ``s1, s2 > 0``. Arguments are arrays of one shape (or scalars); the result has that shape.
    """
    __tracebackhide__ = True
    _check_callable(fn, "kl_gaussians_1d(m1, s1, m2, s2)")
    name = _fn_name(fn)
    rng = _rng(seed)
    n = 7
    m1, m2 = rng.uniform(-3, 3, n).astype(np.float32), rng.uniform(-3, 3, n).astype(np.float32)
    s1, s2 = rng.uniform(0.3, 3.0, n).astype(np.float32), rng.uniform(0.3, 3.0, n).astype(np.float32)
    s2[np.abs(s2 - 1) < 0.1] += 0.3  # keep the variants apart (s^2 = s when s = 1)
    s1[np.abs(s1 - 1) < 0.1] += 0.3
    cases = [
        Case((m1, s1, m2, s2), "for random arrays of shape (7,)"),
        Case((m1, s1, m2, s2), "for Keras tensors of shape (7,)", as_tensors=True),
        Case((np.float32([1.5]), np.float32([0.7]), np.float32([1.5]), np.float32([0.7])),
             "when both Gaussians are the same, N(1.5, 0.7^2) (the KL must be 0)"),
        Case((np.float32([0.0]), np.float32([1.0]), np.float32([2.0]), np.float32([1.0])),
             "for N(0, 1) against N(2, 1) (the KL is (m1 - m2)^2 / 2 = 2)"),
    ]
    hint = ("Recall KL = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2 with standard "
            "deviations s1, s2.")
    for case in cases:
        _judge(fn, name, case, _kl_1d, _KL_1D_MISTAKES, per=None, hint_inputs=hint)
    return _passed(name, len(cases))


# --------------------------------------------------------------------------------------------
# 02 - the reparameterisation trick and the analytic KL
# --------------------------------------------------------------------------------------------


def _std(z_log_var):
    return np.exp(0.5 * np.asarray(z_log_var, np.float64))


_SAMPLING_MISTAKES = [
    Mistake("log-variance used as a log standard deviation (missing 1/2)",
            "you multiplied eps by exp(z_log_var), which is the variance. The standard deviation "
            "is exp(z_log_var / 2): z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: m + np.exp(np.asarray(lv, float)) * e),
    Mistake("log-variance used as a standard deviation",
            "you multiplied eps by z_log_var itself. It is the log of the variance: the standard "
            "deviation is exp(z_log_var / 2).",
            lambda m, lv, e: m + np.asarray(lv, float) * e),
    Mistake("log-variance used as a variance",
            "you took the square root of z_log_var as if it were the variance (NaN where it is "
            "negative). The standard deviation is exp(z_log_var / 2).",
            lambda m, lv, e: m + np.sqrt(np.asarray(lv, float)) * e),
    Mistake("extra 1/2", "you halved the noise term; the standard deviation exp(z_log_var / 2) "
            "already holds the only 1/2.",
            lambda m, lv, e: m + 0.5 * _std(lv) * e),
    Mistake("flipped sign", "you subtracted the noise. (z_mean - std * eps has the same "
            "distribution, but with the eps given the answer is z_mean + std * eps.)",
            lambda m, lv, e: m - _std(lv) * e),
    Mistake("missing mean", "z_mean is missing: z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: _std(lv) * e),
    Mistake("mean multiplied instead of added", "z_mean multiplies the noise; it should be added: "
            "z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: m * _std(lv) * e),
]


def _sampling_reference(z_mean, z_log_var, eps):
    return np.asarray(z_mean, np.float64) + _std(z_log_var) * eps


def check_reparameterize(fn, seed: int = 0) -> bool:
    """Check ``fn(z_mean, z_log_var, eps)`` = ``z_mean + exp(z_log_var / 2) * eps``.

    The reparameterisation trick of :class:`vaetutor.layers.Sampling`, with the standard normal
    noise ``eps`` passed in so that the result is deterministic. All three arguments and the
    result have shape ``(batch, latent_dim)``.
    """
    __tracebackhide__ = True
    _check_callable(fn, "reparameterize(z_mean, z_log_var, eps)")
    name = _fn_name(fn)
    rng = _rng(seed)
    shape = (5, 3)
    z_mean = _away_from_zero(rng, -3, 3, shape, margin=0.5)
    z_log_var = _away_from_zero(rng, -3, 2, shape)
    eps = _away_from_zero(rng, -2, 2, shape, margin=0.3)
    cases = [
        Case((z_mean, z_log_var, eps), "for random z_mean, z_log_var, eps of shape (5, 3)"),
        Case((z_mean, z_log_var, eps), "for Keras tensors of shape (5, 3)", as_tensors=True),
        Case((np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32),
              np.float32([[1.0, -2.0], [0.5, 3.0]])),
             "for z_mean = 0, z_log_var = 0 (z must equal eps)"),
        Case((np.float32([[1.0]]), np.float32([[-8.0]]), np.float32([[2.0]])),
             "for a tiny variance, z_log_var = -8 (z must be close to z_mean)"),
    ]
    hint = "Recall z = z_mean + exp(0.5 * z_log_var) * eps, element-wise."
    for case in cases:
        _judge(fn, name, case, _sampling_reference, _SAMPLING_MISTAKES, per=None,
               hint_inputs=hint)
    return _passed(name, len(cases))


def _kl_terms(m, lv):
    m, lv = np.asarray(m, np.float64), np.asarray(lv, np.float64)
    return 1.0 + lv - m ** 2 - np.exp(lv)


def _kl_mistakes():
    def kl_with(terms, reduce=lambda t: t.sum(axis=-1)):
        return lambda m, lv: -0.5 * reduce(terms(np.asarray(m, np.float64), np.asarray(lv, np.float64)))

    ref = kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv))
    return [
        Mistake("flipped sign", "your KL is negative where the right one is positive. "
                "KL(q || p) >= 0: it is -1/2 * sum(1 + z_log_var - z_mean^2 - exp(z_log_var)); "
                "check the sign in front of the 1/2.",
                lambda m, lv: -ref(m, lv)),
        Mistake("missing 1/2", "your KL is twice the right one: the factor 1/2 in front of the "
                "sum is missing.", lambda m, lv: 2 * ref(m, lv)),
        Mistake("extra 1/2", "your KL is half the right one: there is one 1/2 too many.",
                lambda m, lv: 0.5 * ref(m, lv)),
        Mistake("log-variance used as a standard deviation",
                "you treated z_log_var as the standard deviation sigma (squaring it for the "
                "variance). It is log(sigma^2): the variance is exp(z_log_var).",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - lv ** 2)),
        Mistake("log-variance used as a standard deviation",
                "you treated z_log_var as the standard deviation sigma (log(sigma^2) and "
                "sigma^2 from it). It is log(sigma^2) itself: the variance is exp(z_log_var).",
                kl_with(lambda m, lv: 1 + np.log(lv ** 2) - m ** 2 - lv ** 2)),
        Mistake("log-variance used as a variance",
                "you used z_log_var where the variance exp(z_log_var) belongs.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - lv)),
        Mistake("log-variance used as a variance",
                "you treated z_log_var as the variance sigma^2 (taking its log). It is "
                "log(sigma^2): the variance is exp(z_log_var) and its log is z_log_var itself.",
                kl_with(lambda m, lv: 1 + np.log(lv) - m ** 2 - lv)),
        Mistake("standard deviation used as the variance",
                "you used exp(z_log_var / 2), the standard deviation, where the variance "
                "exp(z_log_var) belongs.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(0.5 * lv))),
        Mistake("missing 1", "the constant 1 inside the sum is missing (without it the KL of "
                "q = N(0, I) is not 0).", kl_with(lambda m, lv: lv - m ** 2 - np.exp(lv))),
        Mistake("mean instead of sum over latent dimensions",
                "you averaged over the latent dimensions; the KL of a diagonal Gaussian is the "
                "sum of the KLs of its dimensions: use a sum over the last axis.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv), lambda t: t.mean(axis=-1))),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch (the mean of the per-example KLs): "
                "return one KL per example, shape (batch,), and leave the mean over the batch to "
                "the model.", lambda m, lv: ref(m, lv).mean()),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch (the sum of the per-example KLs): "
                "return one KL per example, shape (batch,).", lambda m, lv: ref(m, lv).sum()),
        Mistake("wrong axis", "you summed over axis 0, the batch, and got one value per latent "
                "dimension. Sum over the last axis (the latent dimensions): axis=-1.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv), lambda t: t.sum(axis=0))),
    ]


def check_kl(fn, seed: int = 0) -> bool:
    """Check ``fn(z_mean, z_log_var)`` = KL(N(z_mean, exp(z_log_var)) || N(0, I)) per example.

    KL = -1/2 * sum_j (1 + z_log_var_j - z_mean_j^2 - exp(z_log_var_j)), summed over the latent
    dimensions j. Inputs ``(batch, latent_dim)``; result ``(batch,)``, one KL per example.
    Compared with :func:`vaetutor.losses.kl_to_standard_normal`.
    """
    __tracebackhide__ = True
    from .losses import kl_to_standard_normal

    _check_callable(fn, "kl_divergence(z_mean, z_log_var)")
    name = _fn_name(fn)
    rng = _rng(seed)
    shape = (6, 4)  # batch != latent_dim, so the wrong axis shows in the shape
    z_mean = _away_from_zero(rng, -3, 3, shape, margin=0.5)
    z_log_var = _away_from_zero(rng, -3, 2, shape)
    z_log_var[np.abs(z_log_var - 1) < 0.15] += 0.3  # log(1) = 0 would hide some variants
    z_log_var[:2] = np.abs(z_log_var[:2])  # rows where log(z_log_var) is defined
    cases = [
        Case((z_mean, z_log_var), "for random z_mean, z_log_var of shape (6, 4)"),
        Case((z_mean, z_log_var), "for Keras tensors of shape (6, 4)", as_tensors=True),
        Case((np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)),
             "for q = N(0, I) itself (z_mean = 0, z_log_var = 0: the KL must be 0)"),
        Case((np.float32([[2.0, -1.0, 0.5]]), np.float32([[-6.0, 3.0, 0.7]])),
             "for one example (batch of 1) with a very small and a large variance"),
    ]
    hint = "Recall KL = -1/2 * sum over latent dimensions of (1 + z_log_var - z_mean^2 - exp(z_log_var))."
    for case in cases:
        _judge(fn, name, case, _numpy_reference(kl_to_standard_normal), _kl_mistakes(),
               per="example", hint_inputs=hint)
    return _passed(name, len(cases))


# --------------------------------------------------------------------------------------------
# 02 - training the MLP VAE with the student's two functions
# --------------------------------------------------------------------------------------------


def _exercise_vae_class():
    """A small VAE whose sampling and KL are the student's functions (built on first use)."""
    import keras
    from keras import ops

    from .losses import bernoulli_log_likelihood

    class ExerciseVAE(keras.Model):
        """Encoder, the student's ``reparameterize``, decoder; loss = -log p(x|z) + the student's KL.

        Loss per batch: mean over examples of [-sum_pixels log p(x|z)] + mean over examples of
        ``kl_fn(z_mean, z_log_var)``, in nats per image.
        """

        def __init__(self, encoder, decoder, sample_fn, kl_fn, seed=0, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.sample_fn, self.kl_fn = sample_fn, kl_fn
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_tracker = keras.metrics.Mean(name="kl_loss")

        def call(self, x, training=False):
            z_mean, z_log_var = self.encoder(x)
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            z = self.sample_fn(z_mean, z_log_var, eps)
            return z_mean, z_log_var, self.decoder(z)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            z_mean, z_log_var, logits = y_pred
            reconstruction_loss = -ops.mean(bernoulli_log_likelihood(x, logits))
            kl_loss = ops.mean(self.kl_fn(z_mean, z_log_var))
            self.reconstruction_tracker.update_state(reconstruction_loss)
            self.kl_tracker.update_state(kl_loss)
            return reconstruction_loss + kl_loss

    return ExerciseVAE


@dataclass
class TrainingReport:
    """What :func:`train_vae_with` measured. Losses in nats per image.

    ``history``: the per-epoch training losses (``loss``, ``reconstruction_loss``, ``kl_loss``,
    the last with the student's KL). The held-out numbers use the package's reference functions
    on the trained encoder and decoder: ``test_kl`` (mean analytic KL), ``test_reconstruction``
    (mean -log p(x|z) at one reference sample of z), ``test_neg_elbo`` (their sum).
    ``kl_negative``: the student's KL is negative for some random input (a sign error).
    """

    history: dict
    test_kl: float
    test_reconstruction: float
    test_neg_elbo: float
    settings: dict
    seconds: float
    error: str | None = None
    kl_negative: bool = False

    def __str__(self):
        if self.error:
            return f"TrainingReport(training failed: {self.error})"
        return (f"trained {self.settings['epochs']} epoch(s) on {self.settings['train_size']:,} "
                f"images in {self.seconds:.0f} s; held-out -ELBO {self.test_neg_elbo:.2f} = "
                f"reconstruction {self.test_reconstruction:.2f} + KL {self.test_kl:.2f} nats "
                "per image")


def _negative_somewhere(kl_fn, seed) -> bool:
    """Whether ``kl_fn`` gives a negative value on random (z_mean, z_log_var) of shape (64, 2)."""
    rng = _rng(seed)
    z_mean = rng.uniform(-3, 3, (64, 2)).astype(np.float32)
    z_log_var = rng.uniform(-3, 2, (64, 2)).astype(np.float32)
    try:
        from keras import ops

        values = np.asarray(ops.convert_to_numpy(kl_fn(ops.convert_to_tensor(z_mean),
                                                       ops.convert_to_tensor(z_log_var))))
        return bool(np.any(values < -1e-6))
    except Exception:  # noqa: BLE001 - a KL that fails here fails in training, reported there
        return False


def train_vae_with(sample_fn, kl_fn, *, epochs: int = 2, train_size: int = 12_000,
                   test_size: int = 2_000, batch_size: int = 64, seed: int = 0) -> TrainingReport:
    """Train the MLP VAE of notebook 02 (784-512-2) with the student's sampling and KL.

    ``sample_fn(z_mean, z_log_var, eps)`` and ``kl_fn(z_mean, z_log_var)`` run inside the model
    on Keras tensors, so they must be written with ``keras.ops`` (gradients do not flow through
    NumPy). Plain ``keras.Model.fit`` with Adam(1e-3) on a seeded MNIST subset. Never raises for
    a problem of the student's functions: the report carries the error, and
    :func:`check_training` explains it.
    """
    import keras
    from keras import ops

    from .data import load_mnist
    from .losses import bernoulli_log_likelihood, kl_to_standard_normal
    from .mlp import build_mlp_decoder, build_mlp_encoder
    from .seeding import seed_everything

    settings = {"epochs": epochs, "train_size": train_size, "test_size": test_size,
                "batch_size": batch_size, "seed": seed}
    kl_negative = _negative_somewhere(kl_fn, seed)
    data = load_mnist(flatten=True, train_size=train_size, test_size=test_size, seed=seed)
    seed_everything(seed)
    model = _exercise_vae_class()(build_mlp_encoder(), build_mlp_decoder(), sample_fn, kl_fn,
                                  seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.perf_counter()
    try:
        history = model.fit(data.x_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                            verbose=0).history
    except Exception as err:  # noqa: BLE001 - reported by check_training, in words
        message = str(err).strip().splitlines()[0] if str(err).strip() else "(no message)"
        return TrainingReport({}, math.nan, math.nan, math.nan, settings,
                              time.perf_counter() - start,
                              error=f"{type(err).__name__}: {message[:300]}",
                              kl_negative=kl_negative)
    seconds = time.perf_counter() - start
    z_mean, z_log_var = model.encoder.predict(data.x_test, batch_size=500, verbose=0)
    eps = np.random.default_rng(seed + 1).standard_normal(z_mean.shape).astype(np.float32)
    z = z_mean + np.exp(0.5 * z_log_var) * eps
    logits = model.decoder.predict(z, batch_size=500, verbose=0)
    kl = float(np.mean(ops.convert_to_numpy(kl_to_standard_normal(z_mean, z_log_var))))
    reconstruction = -float(np.mean(ops.convert_to_numpy(bernoulli_log_likelihood(data.x_test, logits))))
    history = {k: [float(v) for v in values] for k, values in history.items()}
    report = TrainingReport(history, kl, reconstruction, kl + reconstruction, settings, seconds,
                            kl_negative=kl_negative)
    print(report)
    return report


#: What a trained 2-D MLP VAE gives on held-out MNIST after the quick profile's two epochs on
#: 12,000 images (measured: -ELBO about 178, KL about 5) and after the full profile (about 150,
#: KL about 6). A KL outside these bounds, or a -ELBO above the last, means the training did
#: not learn a VAE.
TRAINING_BOUNDS = {"min_kl": 1.0, "max_kl": 15.0, "max_neg_elbo": 200.0}


def check_training(report: TrainingReport) -> bool:
    """Check that the VAE trained with the student's functions is sane.

    The training loss must stay finite; on held-out images, the reference KL of the trained
    encoder must lie in [``min_kl``, ``max_kl``] nats and the -ELBO below ``max_neg_elbo``
    (:data:`TRAINING_BOUNDS`). A KL pushed up without bound is what a sign-flipped KL gives; a
    KL near 0 with a poor reconstruction, a KL weighted far too much.
    """
    __tracebackhide__ = True
    if not isinstance(report, TrainingReport):
        _fail(f"check_training expects the result of train_vae_with(...); got a "
              f"{type(report).__name__}.")
    if report.error:
        _fail("training the VAE with your functions failed: " + report.error + ". Inside a model "
              "your functions receive Keras tensors in a traced graph: write them with keras.ops "
              "(ops.exp, ops.sum, ops.square), not NumPy, and make them pass their checks first.")
    sign = (" Your KL is negative for some inputs: check its sign. With the sign flipped, "
            "minimising the loss maximises the KL, which grows until it overflows."
            if report.kl_negative else "")
    losses = report.history.get("loss", [])
    if not losses or not all(math.isfinite(v) for v in losses):
        _fail(f"the training loss became NaN or infinite (per epoch: {losses})."
              + (sign or " Look for an exp that overflows or a log of a negative number in "
                 "your functions."))
    b = TRAINING_BOUNDS
    if report.kl_negative:
        _fail("the VAE trained, but not with a KL." + sign)
    if not math.isfinite(report.test_kl) or report.test_kl > b["max_kl"]:
        _fail(f"after training, the encoder's KL to the prior is {report.test_kl:.4g} nats per "
              f"image on held-out images (a trained VAE gives about 5): the training pushed q(z|x)"
              " away from N(0, I) instead of towards it - your KL probably has its sign flipped, "
              "so minimising the loss maximises the KL.")
    if report.test_kl < b["min_kl"]:
        _fail(f"after training, the encoder's KL is only {report.test_kl:.3g} nats per image "
              f"and the reconstruction loss {report.test_reconstruction:.1f}: the KL term "
              "weighed so much that the codes carry almost nothing about the images - your KL is "
              "probably too large (summed over the batch, or over the wrong axis).")
    if not report.test_neg_elbo <= b["max_neg_elbo"]:
        _fail(f"after training, the held-out -ELBO is {report.test_neg_elbo:.1f} nats per image; "
              f"a VAE trained this way reaches below {b['max_neg_elbo']:.0f}. Check that your "
              "sampling uses z_mean and the standard deviation exp(z_log_var / 2).")
    print(f"\u2713 the VAE trained with your functions is sane: held-out -ELBO "
          f"{report.test_neg_elbo:.1f}, KL {report.test_kl:.2f} nats per image.")
    return True


# --------------------------------------------------------------------------------------------
# 03 - reading the KL-coefficient sweep
# --------------------------------------------------------------------------------------------

SWEEP_NOTEBOOK = "03_kl_coefficient_sweep.ipynb"
SWEEP_TABLE_FILE = "kl_sweep_table.txt"
SWEEP_COLUMNS = ("c", "recon", "KL", "c*KL+recon", "-ELBO",
                 "mean z[0]", "mean z[1]", "std z[0]", "std z[1]", "rms |z|")


def _sweep_header() -> str:
    from .sweep import format_results_table

    return format_results_table([]).splitlines()[0].strip()


def sweep_table_text(notebook_path) -> str:
    """The text of the results table in a notebook's outputs (the header line and its rows).

    The table is the output of ``print(format_results_table(rows))`` in notebook 03; it is found
    by its header line, so the notebook can be re-executed and the numbers change.
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    header = _sweep_header()
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if line.strip() == header:
                    rows = [lines[i], lines[i + 1]]
                    for row in lines[i + 2:]:
                        if row.count("|") != 2:
                            break
                        rows.append(row)
                    return "\n".join(rows) + "\n"
    raise ValueError(f"{notebook_path} has no output holding the KL-sweep table (header "
                     f"{header!r}); execute notebook 03 so that it prints the table.")


def parse_sweep_table(text: str) -> list[dict]:
    """Rows of the sweep table as dicts keyed by :data:`SWEEP_COLUMNS` (floats)."""
    rows = []
    for line in text.splitlines():
        if line.count("|") != 2 or line.strip().startswith("c "):
            continue
        parts = line.split("|")
        values = [float(parts[0])] + [float(v) for v in parts[1].split()] + [float(v) for v in parts[2].split()]
        if len(values) != len(SWEEP_COLUMNS):
            raise ValueError(f"a row of the sweep table has {len(values)} numbers, expected "
                             f"{len(SWEEP_COLUMNS)}: {line!r}")
        rows.append(dict(zip(SWEEP_COLUMNS, values)))
    if not rows:
        raise ValueError("the KL-sweep table has no rows")
    return rows


def _default_sweep_sources():
    here = Path.cwd()
    package_root = Path(__file__).resolve().parents[1]
    return [here / SWEEP_TABLE_FILE, here.parent / SWEEP_NOTEBOOK, here / SWEEP_NOTEBOOK,
            package_root / "notebooks" / SWEEP_NOTEBOOK]


def _sweep_text(source=None) -> tuple[Path, str]:
    candidates = [Path(source)] if source is not None else _default_sweep_sources()
    for path in candidates:
        if path.is_file():
            return path, sweep_table_text(path) if path.suffix == ".ipynb" else path.read_text()
    raise FileNotFoundError("found no KL-sweep table; looked for "
                            + ", ".join(str(p) for p in candidates)
                            + ". Pass the path of notebook 03 or of kl_sweep_table.txt.")


def load_sweep_table(source=None) -> list[dict]:
    """The committed results of notebook 03's sweep, one dict per value of c.

    ``source``: a notebook (``.ipynb``, its outputs are searched for the table) or a text file
    holding the table. By default: ``kl_sweep_table.txt`` in the working folder (the copy an
    assignment ships with), else ``../03_kl_coefficient_sweep.ipynb``, else the committed
    notebook of the checkout this package was installed from.
    """
    return parse_sweep_table(_sweep_text(source)[1])


def show_sweep_table(source=None) -> None:
    """Print the sweep table as notebook 03 printed it, and where it was read from."""
    path, text = _sweep_text(source)
    print(f"(from {path.name})")
    print(text, end="")


def _number(answer, what: str) -> float:
    __tracebackhide__ = True
    if answer is NotImplemented or answer is None or isinstance(answer, (str, bool)):
        _fail(f"{what} should be a number; got {answer!r}.")
    try:
        value = float(np.asarray(answer, dtype=np.float64).reshape(()))
    except Exception:  # noqa: BLE001
        _fail(f"{what} should be one number; got {answer!r}.")
    if not math.isfinite(value):
        _fail(f"{what} is {value}; expected a finite number.")
    return value


def _row(table, c):
    return next(r for r in table if r["c"] == c)


def check_lowest_neg_elbo(answer, table=None) -> bool:
    """Check the value of c whose held-out -ELBO (``-ELBO`` column) is the lowest."""
    __tracebackhide__ = True
    table = load_sweep_table(table) if not isinstance(table, list) else table
    c = _number(answer, "lowest_neg_elbo_c")
    right = min(table, key=lambda r: r["-ELBO"])["c"]
    if math.isclose(c, right):
        print(f"\u2713 right: c = {right:g} has the lowest held-out -ELBO, "
              f"{_row(table, right)['-ELBO']:.2f} nats.")
        return True
    named = [
        ("c*KL+recon", "that is the c with the lowest training objective c*KL + recon. That loss "
         "changes its meaning with c (at c = 0 it is the reconstruction alone); the bound on "
         "log p(x) that compares models is -ELBO = recon + KL, the column -ELBO."),
        ("recon", "that is the c with the lowest reconstruction loss: a small c buys a good "
         "reconstruction with a large KL. The question is about -ELBO = recon + KL."),
        ("KL", "that is the c with the lowest KL; the question asks for the lowest -ELBO = "
         "recon + KL."),
    ]
    for column, why in named:
        if math.isclose(c, min(table, key=lambda r: r[column])["c"]):
            _fail(f"c = {c:g} is not the answer - wrong column: {why}")
    if math.isclose(c, max(table, key=lambda r: r["-ELBO"])["c"]):
        _fail(f"c = {c:g} has the highest -ELBO, not the lowest: a lower -ELBO is a better bound.")
    if not any(math.isclose(c, r["c"]) for r in table):
        _fail(f"c = {c:g} is not one of the swept values {[r['c'] for r in table]}.")
    _fail(f"c = {c:g} has -ELBO {_row(table, c)['-ELBO']:.2f}; another c has a lower one. Read "
          "the -ELBO column (the fifth) and take the row with the smallest value.")


def check_kl_factor(answer, table=None, c_from: float = 0.5, c_to: float = 2.0) -> bool:
    """Check KL(c_from) / KL(c_to): by what factor the held-out KL falls from c=0.5 to c=2.

    Accepted within 1 % (the table rounds to two decimals).
    """
    __tracebackhide__ = True
    table = load_sweep_table(table) if not isinstance(table, list) else table
    value = _number(answer, "kl_factor")
    kl_from, kl_to = _row(table, c_from)["KL"], _row(table, c_to)["KL"]
    right = kl_from / kl_to
    if math.isclose(value, right, rel_tol=0.01):
        print(f"\u2713 right: the KL falls from {kl_from:.2f} to {kl_to:.2f} nats, "
              f"a factor of {right:.3f}.")
        return True
    named = [
        (kl_to / kl_from, "inverted ratio", f"you divided KL(c={c_to:g}) by KL(c={c_from:g}); the"
         f" factor it falls by is KL(c={c_from:g}) / KL(c={c_to:g}), larger than 1."),
        (kl_from - kl_to, "difference instead of ratio", "that is how many nats the KL falls by; "
         "the question asks for the factor, a ratio."),
        ((kl_from - kl_to) / kl_from, "relative fall instead of factor", "that is the fraction "
         "of the KL lost; the factor is the ratio of the two KLs."),
        ((c_from * kl_from) / (c_to * kl_to), "weighted KL", "you divided c * KL; the question "
         "is about the KL column itself."),
    ]
    for candidate, name, why in named:
        if math.isclose(value, candidate, rel_tol=0.01):
            _fail(f"kl_factor = {value:.4g} is not right - {name}: {why}")
    _fail(f"kl_factor = {value:.4g}; the KL column gives {kl_from:.2f} at c = {c_from:g} and "
          f"{kl_to:.2f} at c = {c_to:g}: divide the first by the second.")


# --------------------------------------------------------------------------------------------
# 04 - the diagonal Gaussian log-density and the single-sample Monte-Carlo ELBO
# --------------------------------------------------------------------------------------------


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
    from .losses import gaussian_log_density

    _check_callable(fn, "gaussian_log_density(z, mean, log_var)")
    name = _fn_name(fn)
    rng = _rng(seed)
    shape = (6, 4)
    z = _away_from_zero(rng, -3, 3, shape, margin=0.5)
    mean = _away_from_zero(rng, -2, 2, shape, margin=0.3)
    log_var = _away_from_zero(rng, -3, 2, shape)
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
        _judge(fn, name, case, _numpy_reference(gaussian_log_density), _log_density_mistakes(),
               per="example", hint_inputs=hint)
    return _passed(name, len(cases))


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
    from .losses import gaussian_log_density

    _check_callable(fn, "monte_carlo_elbo(x, logits, z, z_mean, z_log_var)")
    name = _fn_name(fn)
    try:
        takes_density = "log_density" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_density = False
    kwargs = {"log_density": gaussian_log_density} if takes_density else {}
    rng = _rng(seed)
    batch, pixels, latent = 5, 784, 3
    x = (rng.uniform(size=(batch, pixels)) > 0.6).astype(np.float32)
    x[:, :100] = rng.uniform(size=(batch, 100)).astype(np.float32)  # some grey pixels
    logits = rng.normal(0.0, 3.0, (batch, pixels)).astype(np.float32)
    z_mean = _away_from_zero(rng, -2, 2, (batch, latent), margin=0.3)
    z_log_var = _away_from_zero(rng, -3, 1, (batch, latent))
    z = (z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal((batch, latent))).astype(np.float32)

    def reference(x, logits, z, z_mean, z_log_var):
        from keras import ops

        from .losses import monte_carlo_elbo_terms

        t = monte_carlo_elbo_terms(x, logits, z, z_mean, z_log_var)
        return ops.convert_to_numpy(t["log_px_z"] + t["log_pz"] - t["log_qz_x"])

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
        _judge(fn, name, case, reference, _elbo_mistakes(), per="example", hint_inputs=hint)
    return _passed(name, len(cases))


# --------------------------------------------------------------------------------------------
# 05 - the InfoVAE kernel and the MMD
# --------------------------------------------------------------------------------------------


def _np_sq(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return (x[:, None, :] - y[None, :, :]) ** 2


def _np_kernel(x, y):
    d = np.shape(x)[-1]
    return np.exp(-_np_sq(x, y).mean(axis=-1) / d)


_KERNEL_MISTAKES = [
    Mistake("bandwidth not divided by the dimension",
            "you used exp(-mean_d (x_d - y_d)^2) (or, the same, exp(-sum_d (x_d - y_d)^2 / d)). "
            "The InfoVAE kernel divides the mean squared difference by the dimension d once "
            "more: exp(-mean_d (x_d - y_d)^2 / d), a bandwidth that grows with d.",
            lambda x, y: np.exp(-_np_sq(x, y).mean(axis=-1))),
    Mistake("sum instead of mean over dimensions",
            "you summed the squared differences over the dimensions and divided by d only once "
            "(or not at all); the kernel is exp(-mean_d (x_d - y_d)^2 / d).",
            lambda x, y: np.exp(-_np_sq(x, y).sum(axis=-1))),
    Mistake("flipped sign", "the exponent must be negative: k = exp(-mean_d (x_d - y_d)^2 / d), "
            "at most 1 and falling with the distance.",
            lambda x, y: np.exp(_np_sq(x, y).mean(axis=-1) / np.shape(x)[-1])),
    Mistake("distance not squared", "the kernel uses squared differences (x_d - y_d)^2, not "
            "absolute ones.",
            lambda x, y: np.exp(-np.sqrt(_np_sq(x, y)).mean(axis=-1) / np.shape(x)[-1])),
    Mistake("missing exp", "you returned the scaled squared distance; the kernel is its "
            "exp(-...).", lambda x, y: _np_sq(x, y).mean(axis=-1) / np.shape(x)[-1]),
    Mistake("wrong axis", "your matrix is transposed: k[i, j] must compare x[i] with y[j], "
            "shape (n, m) for x of shape (n, d) and y of shape (m, d).",
            lambda x, y: _np_kernel(x, y).T),
]


def check_kernel(fn, seed: int = 0) -> bool:
    """Check ``fn(x, y)`` = the InfoVAE kernel matrix k[i, j] = exp(-mean_d((x_id - y_jd)^2) / d).

    ``x``: ``(n, d)``, ``y``: ``(m, d)``; result ``(n, m)``, all pairs. Compared with
    :func:`vaetutor.losses.gaussian_kernel_matrix`.
    """
    __tracebackhide__ = True
    from .losses import gaussian_kernel_matrix

    _check_callable(fn, "gaussian_kernel_matrix(x, y)")
    name = _fn_name(fn)
    rng = _rng(seed)
    x = rng.normal(0.0, 1.2, (5, 3)).astype(np.float32)
    y = rng.normal(0.5, 1.2, (4, 3)).astype(np.float32)
    cases = [
        Case((x, y), "for random x of shape (5, 3) and y of shape (4, 3)"),
        Case((x, y), "for Keras tensors x (5, 3) and y (4, 3)", as_tensors=True),
        Case((x[:2], x[:2]), "for x = y (the diagonal must be 1)"),
        Case((rng.normal(size=(3, 8)).astype(np.float32), rng.normal(size=(2, 8)).astype(np.float32)),
             "for 8-dimensional codes, x (3, 8) and y (2, 8)"),
    ]
    hint = "Recall k[i, j] = exp(-mean over d of (x[i, d] - y[j, d])^2 / d), for all pairs i, j."
    for case in cases:
        _judge(fn, name, case, _numpy_reference(gaussian_kernel_matrix), _KERNEL_MISTAKES,
               per=None, hint_inputs=hint)
    return _passed(name, len(cases))


def _mmd_from(kxx, kyy, kxy):
    return kxx.mean() + kyy.mean() - 2 * kxy.mean()


def _off_diagonal_mean(k):
    n = k.shape[0]
    return (k.sum() - np.trace(k)) / (n * (n - 1))


_MMD_MISTAKES = [
    Mistake("cross term not doubled", "the cross term counts twice: MMD = mean k(x, x') + "
            "mean k(y, y') - 2 mean k(x, y) (k(x, y) and k(y, x) both appear).",
            lambda x, y: _np_kernel(x, x).mean() + _np_kernel(y, y).mean() - _np_kernel(x, y).mean()),
    Mistake("wrong sign of the cross term", "the cross term is subtracted: MMD = mean k(x, x') + "
            "mean k(y, y') - 2 mean k(x, y). It is 0 when the two samples are the same.",
            lambda x, y: _np_kernel(x, x).mean() + _np_kernel(y, y).mean() + 2 * _np_kernel(x, y).mean()),
    Mistake("wrong sign", "your MMD is minus the right one; it is mean k(x, x') + mean k(y, y') "
            "- 2 mean k(x, y) >= 0.",
            lambda x, y: -(_mmd_from(_np_kernel(x, x), _np_kernel(y, y), _np_kernel(x, y)))),
    Mistake("wrong sign", "you subtracted the k(y, y') term; both within-sample terms are added: "
            "mean k(x, x') + mean k(y, y') - 2 mean k(x, y).",
            lambda x, y: _np_kernel(x, x).mean() - _np_kernel(y, y).mean() - 2 * _np_kernel(x, y).mean()),
    Mistake("square root", "you returned the square root; the InfoVAE loss uses MMD^2 itself.",
            lambda x, y: np.sqrt(max(_mmd_from(_np_kernel(x, x), _np_kernel(y, y), _np_kernel(x, y)), 0.0))),
    Mistake("diagonal left out", "you left out the pairs of a point with itself (the unbiased "
            "estimate). This course uses the biased estimate of the InfoVAE code: means over all "
            "pairs, the diagonal included.",
            lambda x, y: _off_diagonal_mean(_np_kernel(x, x)) + _off_diagonal_mean(_np_kernel(y, y))
            - 2 * _np_kernel(x, y).mean()),
    Mistake("sum instead of mean", "you summed the kernel matrices; take their means (the sample "
            "sizes differ).",
            lambda x, y: _np_kernel(x, x).sum() + _np_kernel(y, y).sum() - 2 * _np_kernel(x, y).sum()),
]


def check_mmd(fn, seed: int = 0) -> bool:
    """Check ``fn(x, y, kernel=...)`` = MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y).

    Means over all pairs, the diagonal included; one number for the two samples ``x`` ``(n, d)``
    and ``y`` ``(m, d)``. The check passes the package's
    :func:`vaetutor.losses.gaussian_kernel_matrix` as ``kernel=`` so that a mistake in the
    student's kernel is not counted twice; a function without that argument is called without
    it. Compared with :func:`vaetutor.losses.maximum_mean_discrepancy`.
    """
    __tracebackhide__ = True
    from .losses import gaussian_kernel_matrix, maximum_mean_discrepancy

    _check_callable(fn, "maximum_mean_discrepancy(x, y)")
    name = _fn_name(fn)
    try:
        takes_kernel = "kernel" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_kernel = False
    kwargs = {"kernel": gaussian_kernel_matrix} if takes_kernel else {}
    rng = _rng(seed)
    x = rng.normal(0.0, 1.0, (6, 2)).astype(np.float32)
    y = rng.normal(1.5, 0.6, (4, 2)).astype(np.float32)
    cases = [
        Case((x, y), "for samples x (6, 2) from N(0, I) and y (4, 2) from elsewhere",
             kwargs=kwargs),
        Case((x, y), "for Keras tensors x (6, 2) and y (4, 2)", as_tensors=True, kwargs=kwargs),
        Case((x, x.copy()), "for two identical samples (the MMD must be 0)", kwargs=kwargs),
    ]
    hint = "Recall MMD = mean k(x, x') + mean k(y, y') - 2 mean k(x, y), means over all pairs."
    for case in cases:
        _judge(fn, name, case, _numpy_reference(maximum_mean_discrepancy), _MMD_MISTAKES,
               per="batch", hint_inputs=hint)
    return _passed(name, len(cases))
