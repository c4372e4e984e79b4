"""Exercise 05: the InfoVAE kernel and the maximum mean discrepancy (MMD\u00b2)."""

from __future__ import annotations

import inspect

import numpy as np

from .feedback import Mistake, Case, judge, passed, function_name, check_callable, numpy_reference


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
            "more: exp(-mean_d (x_d - y_d)^2 / d) = exp(-||x - y||^2 / d^2), a kernel whose "
            "width grows in proportion to d.",
            lambda x, y: np.exp(-_np_sq(x, y).mean(axis=-1))),
    Mistake("sum instead of mean over dimensions",
            "you summed the squared differences over the dimensions and did not divide by d^2; "
            "the kernel is exp(-mean_d (x_d - y_d)^2 / d) = exp(-||x - y||^2 / d^2).",
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
    from ..losses import gaussian_kernel_matrix

    check_callable(fn, "gaussian_kernel_matrix(x, y)")
    name = function_name(fn)
    rng = np.random.default_rng(seed)
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
        judge(fn, name, case, numpy_reference(gaussian_kernel_matrix), _KERNEL_MISTAKES,
               per=None, hint_inputs=hint)
    return passed(name, len(cases))


def _mmd_from(kxx, kyy, kxy):
    return kxx.mean() + kyy.mean() - 2 * kxy.mean()


def _off_diagonal_mean(k):
    n = k.shape[0]
    return (k.sum() - np.trace(k)) / (n * (n - 1))


_MMD_MISTAKES = [
    Mistake("cross term not doubled", "the cross term counts twice: MMD^2 = mean k(x, x') + "
            "mean k(y, y') - 2 mean k(x, y) (k(x, y) and k(y, x) both appear).",
            lambda x, y: _np_kernel(x, x).mean() + _np_kernel(y, y).mean() - _np_kernel(x, y).mean()),
    Mistake("wrong sign of the cross term", "the cross term is subtracted: MMD^2 = mean k(x, x') + "
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
    from ..losses import gaussian_kernel_matrix, maximum_mean_discrepancy

    check_callable(fn, "maximum_mean_discrepancy(x, y)")
    name = function_name(fn)
    try:
        takes_kernel = "kernel" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_kernel = False
    kwargs = {"kernel": gaussian_kernel_matrix} if takes_kernel else {}
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (6, 2)).astype(np.float32)
    y = rng.normal(1.5, 0.6, (4, 2)).astype(np.float32)
    cases = [
        Case((x, y), "for samples x (6, 2) from N(0, I) and y (4, 2) from elsewhere",
             kwargs=kwargs),
        Case((x, y), "for Keras tensors x (6, 2) and y (4, 2)", as_tensors=True, kwargs=kwargs),
        Case((x, x.copy()), "for two identical samples (the MMD must be 0)", kwargs=kwargs),
    ]
    hint = "Recall MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y), means over all pairs."
    for case in cases:
        judge(fn, name, case, numpy_reference(maximum_mean_discrepancy), _MMD_MISTAKES,
               per="batch", hint_inputs=hint)
    return passed(name, len(cases))
