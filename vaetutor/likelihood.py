"""The importance-weighted bound on log p(x): a held-out log-likelihood for VAEs.

The ELBO is a lower bound on log p(x) whose gap is KL(q(z|x) || p(z|x)): a model with a poor
encoder looks worse than it is. Burda, Grosse & Salakhutdinov (2015, *Importance Weighted
Autoencoders*) tighten it with K independent draws z_1 ... z_K ~ q(z|x) and the importance
weights w_k = p(x, z_k) / q(z_k|x):

    L_K(x) = log (1/K) sum_k w_k,
    log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x)      (nats, summed over pixels / latents)

- L_1 is the single-sample Monte-Carlo ELBO (:meth:`vaetutor.vae.MonteCarloVAE.loss_terms`);
- E[L_K] <= E[L_{K+1}] <= log p(x), and L_K -> log p(x) as K grows (for any q whose support
  covers the posterior's);
- for every set of draws, L_K >= the mean of the same K log-weights (Jensen's inequality).

On binarised images p(x|z) is a proper Bernoulli likelihood and L_5000 is a log-likelihood in
nats that can be set beside published ones (Burda et al. 2015, Table 1: VAE, 50-D latent,
k = 5000: -86.76 on MNIST). On grey-level images the "Bernoulli likelihood" of a pixel of 0.3 is
not a probability of anything (it is minus a cross-entropy; see
:func:`vaetutor.evaluation.bernoulli_loss_floor`): the same number is then only a bound on that
pseudo-likelihood, comparable between models on the same data but not with published
log-likelihoods.

Memory: images are processed ``chunk_images`` at a time and their K draws ``chunk_k`` at a
time. The largest arrays formed hold ``chunk_images * chunk_k`` codes, decoded images and
log-weights, whatever K and the number of images. The decoder's activations for those codes
dominate: for the convolutional decoder about 330 KB per code (measured: 650 MB above the
process's peak for 2,000 codes per call), so about 330 MB with the defaults (1,000 codes).
The log-sum-exp over the K draws is kept as a running (maximum, sum) per image, never as an
``(images, K)`` array.

Randomness: draw k of image i (its index in ``x``) is ``eps[k]`` of
``numpy.random.default_rng([seed, i]).standard_normal((K, latent_dim), dtype=float32)``,
and ``z = z_mean + exp(z_log_var / 2) * eps``. The same seed therefore gives the same numbers
for any chunk sizes, and the draws for K are the first K of those for any larger K.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from .checks import non_negative_int, positive_int
from .data import check_images
from .layers import reparameterize
from .losses import bernoulli_log_likelihood, gaussian_log_density
from .vae import posterior

#: K of Burda et al. (2015), Table 1
PUBLISHED_K = 5000
#: their VAE (one stochastic layer of 50 units) on binarised MNIST: L_5000 in nats
PUBLISHED_VAE_LOG_LIKELIHOOD = -86.76


def _check_inputs(x, log_px_z, model):
    layout = getattr(model, "image_layout", None)
    if layout is not None:   # the series' models: 28x28 images, flat or not, pixels in [0, 1]
        x = check_images(x, layout=layout)
    else:
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise ValueError(f"x must hold numbers; got dtype {x.dtype}")
        x = x.astype("float32", copy=False)
        if x.ndim < 2:
            raise ValueError(f"x must be a batch (n, ...) of images or vectors; got shape "
                             f"{x.shape} - add a batch axis with x[None]")
        bad = int(np.sum(~np.isfinite(x)))
        if bad:
            raise ValueError(f"x contains {bad} NaN or infinite values; expected finite numbers")
    if len(x) == 0:
        raise ValueError(f"x must hold at least one image; got shape {x.shape}")
    if log_px_z is bernoulli_log_likelihood and getattr(model, "likelihood", "bernoulli") != \
            "bernoulli":
        raise ValueError(f"{type(model).__name__} has a {model.likelihood} decoder, not a "
                         "Bernoulli one: pass its log p(x|z) as log_px_z")
    if log_px_z is bernoulli_log_likelihood and (x.min() < 0.0 or x.max() > 1.0):
        raise ValueError(
            f"x: pixel values must be in [0, 1] for the Bernoulli likelihood; got min "
            f"{float(x.min())}, max {float(x.max())} - divide uint8 images by 255")
    return x


def _log_weights_chunks(model, x, k, *, log_px_z, chunk_images, chunk_k, seed):
    """Yield ``(start, log_w)``: log-weights ``(b, c)`` (float64) of images ``start:start+b``
    for consecutive chunks of their K draws, all chunks of one image block before the next."""
    for start in range(0, len(x), chunk_images):
        x_chunk = x[start:start + chunk_images]
        b = len(x_chunk)
        z_mean, z_log_var = posterior(model, x_chunk)
        generators = [np.random.default_rng([seed, start + i]) for i in range(b)]
        for k_start in range(0, k, chunk_k):
            c = min(chunk_k, k - k_start)
            eps = np.stack([g.standard_normal((c, z_mean.shape[1]), dtype=np.float32)
                            for g in generators])                              # (b, c, d)
            z = ops.convert_to_numpy(reparameterize(z_mean[:, None], z_log_var[:, None], eps))
            z = z.reshape(b * c, -1)                                           # row i*c + j
            means = np.repeat(z_mean, c, axis=0)
            log_vars = np.repeat(z_log_var, c, axis=0)
            decoded = model.decoder(z, training=False)
            if tuple(decoded.shape)[0] != b * c:
                raise ValueError(f"model.decoder returned {tuple(decoded.shape)[0]} outputs "
                                 f"for {b * c} codes; expected one per code")
            log_p = ops.convert_to_numpy(log_px_z(np.repeat(x_chunk, c, axis=0), decoded))
            if log_p.shape != (b * c,):
                raise ValueError(f"log_px_z must return one value per example, shape "
                                 f"({b * c},); got {log_p.shape}")
            log_w = (log_p.astype("float64")
                     + ops.convert_to_numpy(gaussian_log_density(z, 0.0, 0.0))
                     - ops.convert_to_numpy(gaussian_log_density(z, means, log_vars)))
            yield start, log_w.reshape(b, c)


def log_importance_weights(model, x, k, *, log_px_z=bernoulli_log_likelihood, chunk_images=50,
                           chunk_k=20, seed=0):
    """All log-weights log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x), shape ``(n, k)``.

    For inspecting small problems (the spread of the weights, the ELBO from the same draws as
    the bound): this array grows with ``n * k``; :func:`importance_weighted_bound` never forms
    it. Same arguments and draws as :func:`importance_weighted_bound`; float64, nats.
    """
    x = _check_inputs(x, log_px_z, model)
    k = positive_int(k, "k", " (the number of importance samples)")
    chunk_images = positive_int(chunk_images, "chunk_images")
    chunk_k = positive_int(chunk_k, "chunk_k")
    seed = non_negative_int(seed, "seed")
    out = np.empty((len(x), k))
    filled = {}
    for start, log_w in _log_weights_chunks(model, x, k, log_px_z=log_px_z,
                                            chunk_images=chunk_images, chunk_k=chunk_k,
                                            seed=seed):
        done = filled.get(start, 0)
        out[start:start + len(log_w), done:done + log_w.shape[1]] = log_w
        filled[start] = done + log_w.shape[1]
    return out


def importance_weighted_bounds(model, x, ks, *, log_px_z=bernoulli_log_likelihood,
                               chunk_images=50, chunk_k=20, seed=0):
    """L_K(x) for several K from one set of draws: ``{K: per-image bound (n,)}``, nats.

    L_K uses the first K of the ``max(ks)`` draws of each image (nested subsets), so the
    curve of L_K against K costs no more than its last point, and its points differ only by
    the draws added. Per image (no reduction over images; take the mean for a dataset):

        L_K(x) = logsumexp_{k < K} log w_k - log K,   computed as a running log-sum-exp.

    Args:
        model: anything with ``model.encoder(x, training=False) -> [z_mean, z_log_var]``
            (each ``(b, latent_dim)``) and ``model.decoder(z, training=False)`` ``-> output``
            for ``log_px_z`` (the logits of :class:`~vaetutor.vae.VAE` and
            :class:`~vaetutor.vae.MonteCarloVAE`).
        x: ``(n, ...)``, the shape the encoder takes; pixels in [0, 1] for the Bernoulli
            likelihood.
        ks: integers >= 1 (any order; duplicates ignored).
        log_px_z: ``log_px_z(x, decoder_output) -> (m,)``, log p(x|z) per example, summed over
            pixels; the default is the Bernoulli likelihood of logits. A Gaussian decoder
            passes e.g. ``lambda x, mean: gaussian_log_density(x, mean, 2 * log(sigma))``.
        chunk_images, chunk_k: images and draws per decoder call: each call decodes
            ``chunk_images * chunk_k`` codes (the memory bound, see the module docstring).
        seed: the draws, see the module docstring; the same seed gives the same numbers.

    Returns: dict from each K (sorted) to a float64 array ``(n,)``.
    """
    x = _check_inputs(x, log_px_z, model)
    try:
        ks = sorted({positive_int(k, "each K in ks", " (the number of importance samples)")
                     for k in ks})
    except TypeError:
        raise ValueError(f"ks must be a collection of integers >= 1; got {ks!r}") from None
    if not ks:
        raise ValueError("ks must hold at least one K >= 1; got none")
    chunk_images = positive_int(chunk_images, "chunk_images")
    chunk_k = positive_int(chunk_k, "chunk_k")
    seed = non_negative_int(seed, "seed")
    k_max = ks[-1]
    bounds = {k: np.empty(len(x)) for k in ks}
    # running log-sum-exp of the draws seen so far, per image of the current block:
    # total = running_max + log(running_sum), with running_sum = sum exp(log_w - running_max)
    block, running_max, running_sum, seen = None, None, None, 0

    def add(log_w):
        nonlocal running_max, running_sum
        new_max = np.maximum(running_max, log_w.max(axis=1))
        running_sum = (running_sum * np.exp(running_max - new_max)
                       + np.exp(log_w - new_max[:, None]).sum(axis=1))
        running_max = new_max

    for start, log_w in _log_weights_chunks(model, x, k_max, log_px_z=log_px_z,
                                            chunk_images=chunk_images, chunk_k=chunk_k,
                                            seed=seed):
        if start != block:
            block, seen = start, 0
            running_max = np.full(len(log_w), -np.inf)
            running_sum = np.zeros(len(log_w))
        c, done = log_w.shape[1], 0
        for k in ks:
            if seen < k <= seen + c:        # K ends inside this chunk: add the draws up to it
                add(log_w[:, done:k - seen])
                done = k - seen
                bounds[k][start:start + len(log_w)] = (running_max + np.log(running_sum)
                                                       - math.log(k))
        if done < c:
            add(log_w[:, done:])
        seen += c
    for k, values in bounds.items():
        if not np.all(np.isfinite(values)):
            raise FloatingPointError(
                f"the bound for K={k} is not finite for {int(np.sum(~np.isfinite(values)))} "
                "images: a log-weight was NaN or infinite (check the decoder's outputs)")
    return bounds


def importance_weighted_bound(model, x, k=PUBLISHED_K, *, log_px_z=bernoulli_log_likelihood,
                              chunk_images=50, chunk_k=20, seed=0):
    """The importance-weighted bound L_K(x) = log (1/K) sum_k p(x, z_k) / q(z_k|x), per image.

    ``k = 1`` gives the single-sample Monte-Carlo ELBO; the default ``k = 5000`` is the
    estimate of log p(x) of Burda et al. (2015). Returns a float64 array ``(n,)`` in nats per
    image (no reduction over images: its mean is the dataset's figure). Arguments as for
    :func:`importance_weighted_bounds`, with ``k`` an integer >= 1.
    """
    k = positive_int(k, "k", " (the number of importance samples)")
    return importance_weighted_bounds(model, x, [k], log_px_z=log_px_z,
                                      chunk_images=chunk_images, chunk_k=chunk_k,
                                      seed=seed)[k]
