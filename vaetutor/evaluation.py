"""Held-out numbers for trained models."""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from .checks import positive_int
from .data import check_images
from .layers import reparameterize
from .losses import bernoulli_log_likelihood, kl_to_standard_normal
from .vae import GaussianVAE, MonteCarloVAE, posterior


def monte_carlo_vs_analytic(model, x, n_samples=1000):
    """Compare the single-sample Monte-Carlo loss with reconstruction + analytic KL on a batch.

    ``model``: any :class:`~vaetutor.vae.GaussianVAE`. For each of ``n_samples`` independent
    draws of z ~ q(z|x) for every image of ``x``, the batch mean of the single-sample loss
    :meth:`MonteCarloVAE.loss_terms <vaetutor.vae.MonteCarloVAE.loss_terms>` computes
    (-(log p(x|z) + log p(z) - log q(z|x))); and, from the same draws, the
    analytic-KL loss -log p(x|z) + KL. Both estimate the same negative ELBO; the Monte-Carlo
    one carries the extra noise of estimating the KL.

    Returns a dict: ``mc_draws`` and ``analytic_draws`` (arrays of ``n_samples`` batch means),
    their means and standard errors ``mc_mean``, ``mc_se``, ``analytic_mean``, ``analytic_se``,
    and ``single_draw_std``: the standard deviation of the Monte-Carlo loss of a single image
    over draws (mean over images), i.e. how noisy one sample is.
    """
    if not isinstance(model, GaussianVAE):
        raise ValueError(f"model must have a Gaussian encoder and Bernoulli decoder (a "
                         f"GaussianVAE); got {type(model).__name__}")
    x = check_images(x, layout=model.image_layout)
    z_mean, z_log_var = posterior(model, x)
    kl = ops.convert_to_numpy(kl_to_standard_normal(z_mean, z_log_var))
    mc, analytic, per_image = [], [], []
    rng = np.random.default_rng(0)
    for _ in range(n_samples):
        z = ops.cast(reparameterize(z_mean, z_log_var, rng.standard_normal(z_mean.shape)),
                     "float32")
        outputs = {"z_mean": z_mean, "z_log_var": z_log_var, "z": z,
                   "logits": model.decoder(z, training=False)}
        terms = {k: ops.convert_to_numpy(v)
                 for k, v in MonteCarloVAE.loss_terms(model, x, outputs).items()}
        per_image.append(terms["loss"])
        mc.append(terms["loss"].mean())
        analytic.append((-terms["log_px_z"] + kl).mean())
    mc, analytic = np.array(mc), np.array(analytic)
    return {
        "mc_draws": mc,
        "analytic_draws": analytic,
        "mc_mean": float(mc.mean()),
        "mc_se": float(mc.std(ddof=1) / math.sqrt(n_samples)),
        "analytic_mean": float(analytic.mean()),
        "analytic_se": float(analytic.std(ddof=1) / math.sqrt(n_samples)),
        "single_draw_std": float(np.mean(np.std(np.array(per_image), axis=0, ddof=1))),
    }


def negative_elbo(model, x, batch_size=500, n_samples=1, seed=1):
    """The held-out negative ELBO in nats per image, with its reconstruction and KL parts.

        -ELBO(x) = E_q(z|x)[-log p(x|z)] + KL(q(z|x) || N(0, I))

    The expectation is estimated with ``n_samples`` draws of z per image
    (:func:`~vaetutor.layers.reparameterize`, noise from ``numpy.random.default_rng(seed)``),
    the KL in closed form; both are summed over pixels / latent dimensions and averaged over
    the images of ``x``. ``model``: any model of the series with a Gaussian encoder and a
    Bernoulli (logits) decoder (:class:`~vaetutor.vae.GaussianVAE`); a ``kl_weight`` does not
    enter (this is the bound itself). This is the package's one held-out ELBO: every notebook
    and module that reports one calls it. Returns a dict with ``negative_elbo``,
    ``reconstruction`` and ``kl``.
    """
    if not isinstance(model, GaussianVAE) or model.likelihood != "bernoulli":
        raise ValueError(f"model must have a Gaussian encoder and Bernoulli decoder (a "
                         f"GaussianVAE) to have this ELBO; got {type(model).__name__}"
                         + (f" with a {model.likelihood} decoder"
                            if isinstance(model, GaussianVAE) else ""))
    batch_size = positive_int(batch_size, "batch_size")
    n_samples = positive_int(n_samples, "n_samples", " (draws of z per image)")
    x = check_images(x, layout=model.image_layout)
    recon_sum, kl_sum = 0.0, 0.0
    rng = np.random.default_rng(seed)
    for i in range(0, len(x), batch_size):
        batch = x[i:i + batch_size]
        z_mean, z_log_var = posterior(model, batch)
        kl_sum += float(np.sum(ops.convert_to_numpy(kl_to_standard_normal(z_mean, z_log_var))))
        for _ in range(n_samples):
            z = reparameterize(z_mean, z_log_var, rng.standard_normal(z_mean.shape))
            logits = model.decoder(ops.cast(z, "float32"), training=False)
            recon_sum -= float(np.sum(ops.convert_to_numpy(bernoulli_log_likelihood(batch, logits))))
    reconstruction = recon_sum / (len(x) * n_samples)
    kl = kl_sum / len(x)
    return {"negative_elbo": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}


def code_mmd_to_prior(codes, n=2000, repeats=5, seed=0):
    """MMD between held-out codes and samples of N(0, I), averaged over random subsets.

    The kernel matrix of all 10,000 test codes would take gigabytes, so each of ``repeats``
    estimates uses ``n`` codes drawn without replacement and ``n`` fresh prior samples (seeded).
    Returns ``(mean, standard error)`` over the repeats.
    """
    from .losses import maximum_mean_discrepancy

    codes = np.asarray(codes, dtype="float32")
    if codes.ndim != 2:
        raise ValueError(f"codes must have shape (count, d); got {codes.shape}")
    rng = np.random.default_rng(seed)
    n = min(n, len(codes))
    values = []
    for _ in range(repeats):
        subset = codes[rng.choice(len(codes), n, replace=False)]
        prior = rng.standard_normal(subset.shape).astype("float32")
        values.append(float(maximum_mean_discrepancy(subset, prior)))
    values = np.array(values)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(repeats)) if repeats > 1 else 0.0


def reconstruction_mse(model, x, batch_size=1000):
    """Mean squared error per pixel between images and their deterministic reconstructions."""
    x = check_images(x, layout=model.image_layout)
    return float(np.mean((model.reconstruct(x, batch_size) - x) ** 2))


def bernoulli_loss_floor(x):
    """The smallest reconstruction loss -log p(x|z) any decoder can reach, in nats per image.

    For a target pixel x in [0, 1] the cross-entropy -[x log p + (1 - x) log(1 - p)] is
    smallest at p = x, where it equals the binary entropy H(x) = -[x log x + (1 - x) log(1 - x)]:
    0 for black or white pixels, log 2 for a pixel of 0.5. Returns the mean over images of the
    sum over pixels of H(x): the part of the loss no model can remove, which differs between
    datasets (grey pixels raise it) and is 0 for binarised images.
    """
    x = np.asarray(x, dtype="float64")
    if x.ndim < 2 or x.size == 0:
        raise ValueError(f"x must be a batch of images, (n, ...); got shape {x.shape}")
    if np.any((x < 0) | (x > 1)) or np.isnan(x).any():
        raise ValueError("pixel values must lie in [0, 1]")
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(np.where(x > 0, x * np.log(x), 0.0)
                    + np.where(x < 1, (1 - x) * np.log1p(-x), 0.0))
    return float(entropy.reshape(len(x), -1).sum(axis=1).mean())
