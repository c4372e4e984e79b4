"""The VAE variants of notebook 07: each differs from :class:`~vaetutor.vae.VAE` in one line.

Two reproduce what goes wrong in code copied from tutorials, one changes the likelihood, one
adds the remedies for unused latent units:

- :class:`PixelMeanVAE`: the reconstruction term averaged over the pixels (what
  ``keras.losses.binary_crossentropy`` returns) while the KL is summed over the latent
  dimensions: the loss is ``(BCE_sum + D * KL) / D`` with D = 784, i.e. the VAE with
  ``kl_weight = 784`` scaled down by 784;
- :class:`ProbabilityVAE`: the cross-entropy written from probabilities,
  ``-[x log p + (1 - x) log(1 - p)]`` with ``p = sigmoid(logits)`` and no clipping: in float32
  ``p`` becomes exactly 0 or 1 once a logit passes about -88 or +17, and ``0 * log 0`` is NaN;
- :class:`GaussianDecoderVAE`: p(x|z) = N(x; mu(z), sigma^2 I) with ``mu = sigmoid(logits)``,
  for a fixed sigma, or (``sigma="optimal"``) the sigma-VAE of Rybkin, Daniilidis and Levine
  (2021), whose shared sigma^2 is the batch's mean squared error, the value that maximises the
  likelihood.

- :class:`KLRemediesVAE`: KL warm-up and free bits (built by
  :func:`vaetutor.mlp.build_mlp_vae` when either is asked for).

:func:`build_mlp_variant` builds any of the first three on the MLP encoder and decoder of
notebook 02.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from .checks import non_negative_int, non_negative_number
from .losses import LOG_2PI, kl_per_dimension
from .mlp import build_mlp_decoder, build_mlp_encoder
from .vae import VAE


@keras.saving.register_keras_serializable(package="vaetutor")
class PixelMeanVAE(VAE):
    """:class:`~vaetutor.vae.VAE` with the reconstruction term averaged over the pixels."""

    def loss_terms(self, x, outputs):
        """As ``VAE.loss_terms``; ``reconstruction_loss`` is the mean BCE per pixel ``(batch,)``."""
        terms = super().loss_terms(x, outputs)
        # the one change: Keras' stock loss, a mean over the last axis (the 784 pixels)
        reconstruction_loss = keras.losses.binary_crossentropy(x, outputs["logits"],
                                                               from_logits=True)
        loss = reconstruction_loss + self.kl_weight * terms["kl_loss"]
        return {**terms, "reconstruction_loss": reconstruction_loss, "loss": loss}


@keras.saving.register_keras_serializable(package="vaetutor")
class ProbabilityVAE(VAE):
    """:class:`~vaetutor.vae.VAE` with the cross-entropy computed from unclipped probabilities."""

    def loss_terms(self, x, outputs):
        """As ``VAE.loss_terms``, the BCE summed from ``p = sigmoid(logits)`` (NaN once p
        saturates)."""
        terms = super().loss_terms(x, outputs)
        p = ops.sigmoid(outputs["logits"])
        x = ops.cast(x, p.dtype)  # NumPy images too, on every backend
        # the one change: log of a probability that float32 can round to exactly 0 or 1
        reconstruction_loss = -ops.sum(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p), axis=-1)
        loss = reconstruction_loss + self.kl_weight * terms["kl_loss"]
        return {**terms, "reconstruction_loss": reconstruction_loss, "loss": loss}


@keras.saving.register_keras_serializable(package="vaetutor")
class GaussianDecoderVAE(VAE):
    """A VAE whose decoder is Gaussian: p(x|z) = N(x; mu, sigma^2 I), mu = sigmoid(logits).

    -log p(x|z) = sum_pixels [(x - mu)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2], so with a
    fixed sigma the loss is the squared error weighted by 1 / (2 sigma^2) plus the KL: a larger
    sigma acts as a larger KL weight. ``sigma="optimal"`` (the sigma-VAE) uses
    ``sigma^2 = mean over the batch and the pixels of (x - mu)^2``, floored at 1e-6.
    ``reconstruction_loss`` is this -log p(x|z) in nats per image; ``squared_error`` is the
    plain sum of (x - mu)^2 per image.
    """

    TERMS = ("reconstruction_loss", "kl_loss", "squared_error", "sigma")
    likelihood = "gaussian"

    def __init__(self, encoder, decoder, sigma="optimal", **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if sigma != "optimal" and not (isinstance(sigma, (int, float)) and sigma > 0):
            raise ValueError(f"sigma must be a positive number or 'optimal'; got {sigma!r}")
        self.sigma = sigma if sigma == "optimal" else float(sigma)

    def loss_terms(self, x, outputs):
        """Per-example terms ``(batch,)``: -log N(x; mu, sigma^2) summed over pixels, KL, ..."""
        terms = super().loss_terms(x, outputs)
        mu = ops.sigmoid(outputs["logits"])
        squared = ops.square(ops.cast(x, mu.dtype) - mu)  # NumPy images too, on every backend
        pixels = math.prod(int(d) for d in x.shape[1:])
        if self.sigma == "optimal":
            log_sigma = 0.5 * ops.log(ops.maximum(ops.mean(squared), 1e-6))
        else:
            log_sigma = ops.convert_to_tensor(math.log(self.sigma))
        squared_error = ops.sum(squared, axis=tuple(range(1, len(squared.shape))))
        reconstruction_loss = (0.5 * squared_error * ops.exp(-2.0 * log_sigma)
                               + pixels * (log_sigma + 0.5 * LOG_2PI))
        loss = reconstruction_loss + self.kl_weight * terms["kl_loss"]
        return {**terms, "reconstruction_loss": reconstruction_loss, "loss": loss,
                "squared_error": squared_error,
                "sigma": ops.exp(log_sigma) * ops.ones_like(squared_error)}

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma}


@keras.saving.register_keras_serializable(package="vaetutor")
class KLRemediesVAE(VAE):
    """:class:`~vaetutor.vae.VAE` with two remedies for unused latent units (notebook 07):

    - ``kl_warmup_epochs = W``: the KL's weight is ``kl_weight * min(1, e / W)`` in epoch e
      (counted from 0), set by the training engine through :meth:`begin_epoch`;
    - ``free_bits = lambda`` (Kingma et al. 2016): the KL penalty is
      ``sum_j max(lambda, mean over the batch of KL_j)``, so no dimension is pushed below
      ``lambda`` nats.

    ``kl_loss`` always reports the plain KL, whatever the penalty.
    """

    def __init__(self, encoder, decoder, free_bits=0.0, kl_warmup_epochs=0, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.free_bits = non_negative_number(free_bits, "free_bits (nats per dimension)")
        self.kl_warmup_epochs = non_negative_int(kl_warmup_epochs, "kl_warmup_epochs")
        self.warmup = (keras.Variable(1.0, trainable=False, name="kl_warmup")
                       if self.kl_warmup_epochs else None)

    def begin_epoch(self, epoch: int) -> None:
        """Called by the training engine before epoch ``epoch`` (from 0): sets the warm-up."""
        if self.warmup is not None:
            self.warmup.assign(min(1.0, epoch / self.kl_warmup_epochs))

    def loss_terms(self, x, outputs):
        """As ``VAE.loss_terms``, with the KL's penalty changed by free bits and the warm-up."""
        terms = super().loss_terms(x, outputs)
        penalty = terms["kl_loss"]
        if self.free_bits:  # sum_j max(lambda, batch mean of KL_j), the same for every example
            per_dim = ops.mean(kl_per_dimension(outputs["z_mean"], outputs["z_log_var"]), axis=0)
            penalty = ops.ones_like(penalty) * ops.sum(ops.maximum(per_dim, self.free_bits))
        weight = self.kl_weight if self.warmup is None else self.kl_weight * self.warmup
        return {**terms, "loss": terms["reconstruction_loss"] + weight * penalty}

    def get_config(self):
        return {**super().get_config(), "free_bits": self.free_bits,
                "kl_warmup_epochs": self.kl_warmup_epochs}


#: the variants :func:`build_mlp_variant` can build
VARIANTS = {"pixel_mean": PixelMeanVAE, "probabilities": ProbabilityVAE,
            "gaussian": GaussianDecoderVAE}


def build_mlp_variant(variant, input_dim=784, hidden_units=(512,), latent_dim=2,
                      kl_weight=1.0, seed=None, **options):
    """The MLP VAE of :func:`vaetutor.mlp.build_mlp_vae` with the loss of ``VARIANTS[variant]``;
    ``options`` go to the class (``sigma`` for ``"gaussian"``)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {sorted(VARIANTS)}")
    return VARIANTS[variant](
        build_mlp_encoder(input_dim, hidden_units, latent_dim),
        build_mlp_decoder(latent_dim, tuple(reversed(hidden_units)), input_dim),
        kl_weight=kl_weight, seed=seed, name=f"mlp_vae_{variant}", **options)
