"""The terms of the VAE objective, as plain functions of tensors.

Every function returns **one value per example** (shape ``(batch,)``): it sums over pixels and
over latent dimensions, and never averages over the batch; the model decides how to reduce (the
VAE takes the batch mean). Values are in nats per image. Written with ``keras.ops`` so they run on
the TensorFlow, JAX and PyTorch backends.

Notation: ``x`` the image, ``z`` the latent code, ``q(z|x) = N(z_mean, exp(z_log_var))`` the
encoder's diagonal Gaussian, ``p(z) = N(0, I)`` the prior, ``p(x|z)`` the decoder's Bernoulli
distribution over pixels.
"""

from __future__ import annotations

import math

from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def _tensors(*values):
    """Backend tensors of the arguments, so that NumPy inputs mix with tensors on every backend."""
    return [ops.convert_to_tensor(v) for v in values]


def _shape(t) -> tuple:
    return tuple(None if d is None else int(d) for d in t.shape)


def _check_same_shape(name_a, a, name_b, b, expected: str) -> None:
    """ValueError naming both arguments when their (known) shapes differ."""
    sa, sb = _shape(a), _shape(b)
    if len(sa) != len(sb) or any(p is not None and q is not None and p != q
                                 for p, q in zip(sa, sb)):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, {expected}; "
                         f"got {name_a} {sa} and {name_b} {sb}")


def _check_codes(name, t) -> None:
    if len(t.shape) != 2:
        raise ValueError(f"{name} must have shape (n, d): n codes of d dimensions; "
                         f"got {_shape(t)}")


def _sum_over_non_batch_axes(t):
    """Sum a ``(batch, ...)`` tensor over every axis but the first: shape ``(batch,)``."""
    return ops.sum(t, axis=tuple(range(1, len(t.shape))))


def kl_per_dimension(z_mean, z_log_var):
    """Analytic KL(q(z_j|x) || N(0, 1)) of each latent dimension j, per example.

    KL_j = -1/2 * (1 + z_log_var_j - z_mean_j^2 - exp(z_log_var_j))

    Args: ``z_mean``, ``z_log_var`` of shape ``(batch, latent_dim)``.
    Returns: shape ``(batch, latent_dim)``, not reduced; each entry >= 0, and the sum over
    the last axis is :func:`kl_to_standard_normal`.
    """
    z_mean, z_log_var = _tensors(z_mean, z_log_var)
    _check_same_shape("z_mean", z_mean, "z_log_var", z_log_var, "(batch, latent_dim)")
    return -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))


def kl_to_standard_normal(z_mean, z_log_var):
    """Analytic KL(q(z|x) || N(0, I)) for a diagonal Gaussian q, per example.

    KL = -1/2 * sum_j (1 + z_log_var_j - z_mean_j^2 - exp(z_log_var_j))

    Args: ``z_mean``, ``z_log_var`` of shape ``(batch, latent_dim)``.
    Returns: shape ``(batch,)``, summed over latent dimensions; >= 0, and 0 exactly when
    ``z_mean = 0`` and ``z_log_var = 0``.
    """
    z_mean, z_log_var = _tensors(z_mean, z_log_var)
    _check_same_shape("z_mean", z_mean, "z_log_var", z_log_var, "(batch, latent_dim)")
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def bernoulli_log_likelihood(x, logits):
    """log p(x|z) for independent Bernoulli pixels with the given logits, per example.

    log p(x|z) = sum_pixels [x * logits - softplus(logits)]
               = -sum_pixels sigmoid_cross_entropy_with_logits(labels=x, logits=logits)

    Stable for any logits (no sigmoid, no log of 0), and also defined for ``x`` in [0, 1]
    (grey pixels), where it is minus the binary cross-entropy. Shapes: ``x`` and ``logits``
    ``(batch, ...)``; returns ``(batch,)``, summed over all pixels.
    """
    x, logits = _tensors(x, logits)
    _check_same_shape("x", x, "logits", logits, "one logit per pixel")
    return _sum_over_non_batch_axes(x * logits - ops.softplus(logits))


def binary_cross_entropy_sum(x, probabilities):
    """Reconstruction loss of the MLP-VAE article: ``784 * mean BCE``, i.e. the BCE summed.

    BCE = -sum_pixels [x * log(p) + (1 - x) * log(1 - p)], from probabilities ``p`` (a sigmoid
    output). Keras clips ``p`` to [1e-7, 1 - 1e-7], so a pixel costs at most about 16.1 nats:
    prefer :func:`bernoulli_log_likelihood` on logits, which equals minus this away from
    saturation. Shapes: ``(batch, ...)`` in, ``(batch,)`` out, summed over all pixels.
    """
    x, probabilities = _tensors(x, probabilities)
    _check_same_shape("x", x, "probabilities", probabilities, "one probability per pixel")
    return _sum_over_non_batch_axes(ops.binary_crossentropy(x, probabilities))


def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))), per example.

    log N = -1/2 * sum_j [log(2 pi) + log_var_j + (z_j - mean_j)^2 * exp(-log_var_j)]

    (the ``normal_loglik`` of the Fashion-MNIST article). Shapes: ``(batch, d)`` in (``mean``
    and ``log_var`` may broadcast, e.g. scalars 0.0 for the N(0, I) prior), ``(batch,)`` out,
    summed over the ``d`` dimensions.
    """
    z, mean, log_var = _tensors(z, mean, log_var)
    for name, t in (("mean", mean), ("log_var", log_var)):
        if len(t.shape) and _shape(t) != _shape(z):
            _check_same_shape("z", z, name, t, "(batch, d), or a scalar such as 0.0")
    return -0.5 * ops.sum(
        LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1
    )


def gaussian_kernel_matrix(x, y):
    """The InfoVAE kernel k(x, y) = exp(-mean_d((x_d - y_d)^2) / d) for all pairs.

    ``x``: ``(n, d)``, ``y``: ``(m, d)``; returns ``(n, m)``. The mean over the ``d``
    dimensions followed by the division by ``d`` (as in the original InfoVAE code) makes this
    exp(-||x - y||^2 / d^2): a Gaussian kernel exp(-||x - y||^2 / (2 s^2)) of width
    s = d / sqrt(2), its bandwidth (the denominator) d^2.
    """
    x, y = _tensors(x, y)
    _check_codes("x", x)
    _check_codes("y", y)
    if x.shape[-1] is not None and y.shape[-1] is not None and x.shape[-1] != y.shape[-1]:
        raise ValueError(f"x and y must have the same number of dimensions d; got x "
                         f"{_shape(x)} and y {_shape(y)}")
    d = x.shape[-1]
    squared = ops.mean(ops.square(ops.expand_dims(x, 1) - ops.expand_dims(y, 0)), axis=-1)
    return ops.exp(-squared / float(d))


def maximum_mean_discrepancy(x, y):
    """MMD^2 between the samples ``x`` ``(n, d)`` and ``y`` ``(m, d)``: one number per batch.

    MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y), each mean over all pairs, the
    diagonal included (the biased estimate of the InfoVAE code), with
    :func:`gaussian_kernel_matrix`. It is a property of two whole samples, not of single
    examples, so unlike the other terms it returns a scalar. 0 for identical samples; grows as
    the two distributions move apart.
    """
    return (ops.mean(gaussian_kernel_matrix(x, x)) + ops.mean(gaussian_kernel_matrix(y, y))
            - 2.0 * ops.mean(gaussian_kernel_matrix(x, y)))


def squared_error_per_pixel(x, x_reconstructed):
    """Mean squared error over the pixels of each image: shape ``(batch,)``."""
    x, x_reconstructed = _tensors(x, x_reconstructed)
    _check_same_shape("x", x, "x_reconstructed", x_reconstructed, "one value per pixel")
    squared = ops.square(x - x_reconstructed)
    return ops.mean(squared, axis=tuple(range(1, len(squared.shape))))
