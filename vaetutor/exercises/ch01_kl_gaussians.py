"""Exercise 01: the closed-form KL between two 1-D Gaussians, ``check_kl_1d``."""

from __future__ import annotations

import numpy as np

from .feedback import Mistake, Case, judge, passed, function_name, check_callable


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
    check_callable(fn, "kl_gaussians_1d(m1, s1, m2, s2)")
    name = function_name(fn)
    rng = np.random.default_rng(seed)
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
        judge(fn, name, case, _kl_1d, _KL_1D_MISTAKES, per=None, hint_inputs=hint)
    return passed(name, len(cases))
