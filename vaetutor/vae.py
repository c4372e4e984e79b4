"""Variational autoencoders with a diagonal-Gaussian encoder and a Bernoulli (logits) decoder.

:class:`GaussianVAE` holds what they share (the encoder's two heads, the reparameterised sample,
the decoder's logits); the two models differ only in how they estimate the loss:

- :class:`VAE`: reconstruction + ``kl_weight`` * KL, the KL in closed form (notebooks 02, 03);
- :class:`MonteCarloVAE`: the single-sample Monte-Carlo estimate of the whole ELBO (notebook 04).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .autoencoder import ImageAutoencoder
from .layers import Sampling
from .losses import bernoulli_log_likelihood, kl_to_standard_normal, monte_carlo_elbo_terms


def check_weight(value, name: str) -> float:
    """``value`` as a float if it is a finite number >= 0, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number >= 0 (for example 1.0); "
                         f"got {value!r} of type {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


class GaussianVAE(ImageAutoencoder):
    """Encoder ``x -> [z_mean, z_log_var]``, a reparameterised sample ``z``, decoder ``z -> logits``.

    ``encoder(x)`` gives ``z_mean`` and ``z_log_var``, each ``(batch, latent_dim)``, of
    ``q(z|x) = N(z_mean, diag(exp(z_log_var)))``; ``z = z_mean + exp(z_log_var / 2) * eps``
    (:class:`~vaetutor.layers.Sampling`, seeded by ``seed``); ``decoder(z)`` gives one logit per
    pixel, with the shape of ``x``, for ``p(x|z) = prod Bernoulli(sigmoid(logits))``.
    Subclasses define ``loss_terms``.
    """

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        self.sampling = Sampling(seed=seed, name="sampling")

    def call(self, x, training=False):
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        logits = self.decoder(z, training=training)
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z, "logits": logits}

    def code_of(self, x):
        """The encoder's mean ``z_mean``: the deterministic code of ``x``."""
        return self.encoder(x, training=False)[0]

    def pixels_of(self, z):
        """Pixel probabilities ``sigmoid(decoder(z))``."""
        return ops.sigmoid(self.decoder(z, training=False))


@keras.saving.register_keras_serializable(package="vaetutor")
class VAE(GaussianVAE):
    """The VAE of the MLP-VAE article: loss = reconstruction + ``kl_weight`` * KL, per example.

        reconstruction_loss = -log p(x|z) = sum over pixels of the binary cross-entropy
        kl_loss             = KL(q(z|x) || N(0, I))  (closed form)
        loss                = reconstruction_loss + kl_weight * kl_loss

    The optimiser minimises the batch mean of ``loss``: the negative ELBO when
    ``kl_weight == 1``, a beta-VAE otherwise. The loss lives in ``loss_terms`` (through the
    shared ``compute_loss``) rather than in a backend-specific ``train_step``, so the model
    trains with the stock ``fit`` on the TensorFlow, JAX and PyTorch backends.
    """

    TERMS = ("reconstruction_loss", "kl_loss")

    def __init__(self, encoder, decoder, kl_weight=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        self.kl_weight = check_weight(kl_weight, "kl_weight")

    def loss_terms(self, x, outputs):
        """Per-example ``reconstruction_loss``, ``kl_loss`` and ``loss``, each ``(batch,)``."""
        reconstruction = -bernoulli_log_likelihood(x, outputs["logits"])
        kl = kl_to_standard_normal(outputs["z_mean"], outputs["z_log_var"])
        return {"reconstruction_loss": reconstruction, "kl_loss": kl,
                "loss": reconstruction + self.kl_weight * kl}

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight}


@keras.saving.register_keras_serializable(package="vaetutor")
class MonteCarloVAE(GaussianVAE):
    """The VAE of the Fashion-MNIST article: the single-sample Monte-Carlo ELBO, per example.

    With one reparameterised sample z ~ q(z|x):

        log_px_z = log p(x|z)    (sum over pixels)
        log_pz   = log N(z; 0, I)                     (sum over latent dimensions)
        log_qz_x = log N(z; z_mean, exp(z_log_var))   (sum over latent dimensions)
        loss     = -(log_px_z + log_pz - log_qz_x)

    whose expectation over z is the analytic loss of :class:`VAE` with ``kl_weight = 1``
    (``log_qz_x - log_pz`` is a one-draw estimate of the KL).
    """

    TERMS = ("log_px_z", "log_pz", "log_qz_x")

    def loss_terms(self, x, outputs):
        """Per-example ``log_px_z``, ``log_pz``, ``log_qz_x`` and ``loss``, each ``(batch,)``."""
        terms = monte_carlo_elbo_terms(x, outputs["logits"], outputs["z"], outputs["z_mean"],
                                       outputs["z_log_var"])
        return {**terms, "loss": -(terms["log_px_z"] + terms["log_pz"] - terms["log_qz_x"])}
