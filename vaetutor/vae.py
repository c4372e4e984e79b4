"""The variational autoencoder as a Keras model: loss = reconstruction + kl_weight * KL."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .autoencoder import ImageAutoencoder
from .layers import Sampling
from .losses import bernoulli_log_likelihood, kl_to_standard_normal, monte_carlo_elbo_terms


@keras.saving.register_keras_serializable(package="vaetutor")
class VAE(ImageAutoencoder):
    """A VAE with a diagonal-Gaussian encoder and a Bernoulli (logits) decoder.

    ``encoder(x) -> [z_mean, z_log_var]``, each ``(batch, latent_dim)``;
    ``decoder(z) -> logits`` with the shape of ``x``. Per example (nats per image):

        reconstruction_loss = -log p(x|z) = sum over pixels of the binary cross-entropy
        kl_loss             = KL(q(z|x) || N(0, I))  (analytic)
        loss                = reconstruction_loss + kl_weight * kl_loss

    and the optimiser minimises the batch mean of ``loss`` (the negative ELBO when
    ``kl_weight == 1``; a beta-VAE otherwise). ``fit`` and ``evaluate`` report ``loss``,
    ``reconstruction_loss`` and ``kl_loss`` as means over examples.

    The loss lives in ``compute_loss`` rather than a backend-specific ``train_step``, so the
    model trains with the stock ``fit`` on the TensorFlow, JAX and PyTorch backends.
    """

    def __init__(self, encoder, decoder, kl_weight=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        if not np.isfinite(kl_weight) or kl_weight < 0:
            raise ValueError(f"kl_weight must be a finite number >= 0; got {kl_weight!r}")
        self.kl_weight = float(kl_weight)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    def call(self, x, training=False):
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        logits = self.decoder(z, training=training)
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z, "logits": logits}

    def loss_terms(self, x, outputs):
        """Per-example ``(reconstruction_loss, kl_loss)``, each of shape ``(batch,)``."""
        reconstruction = -bernoulli_log_likelihood(x, outputs["logits"])
        kl = kl_to_standard_normal(outputs["z_mean"], outputs["z_log_var"])
        return reconstruction, kl

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        reconstruction, kl = self.loss_terms(x, y_pred)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        return ops.mean(reconstruction + self.kl_weight * kl)

    def code_of(self, x):
        """The encoder's mean ``z_mean``: the deterministic code of ``x``."""
        return self.encoder(x, training=False)[0]

    def pixels_of(self, z):
        """Pixel probabilities ``sigmoid(decoder(z))``."""
        return ops.sigmoid(self.decoder(z, training=False))

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight}


@keras.saving.register_keras_serializable(package="vaetutor")
class MonteCarloVAE(VAE):
    """A VAE trained with the single-sample Monte-Carlo estimate of the whole ELBO.

    Per example, with one reparameterised sample z ~ q(z|x):

        loss = -(log p(x|z) + log p(z) - log q(z|x))

    whose expectation over z is reconstruction + KL, the analytic loss of :class:`VAE` (the KL
    is estimated by ``log q(z|x) - log p(z)`` instead of computed in closed form). Metrics, as
    means over examples: ``loss``, ``log_px_z``, ``log_pz``, ``log_qz_x``. ``kl_weight`` is fixed
    at 1 (the estimator is of the ELBO itself).
    """

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        kwargs.pop("kl_weight", None)
        super().__init__(encoder, decoder, kl_weight=1.0, seed=seed, **kwargs)
        self.log_px_z_tracker = keras.metrics.Mean(name="log_px_z")
        self.log_pz_tracker = keras.metrics.Mean(name="log_pz")
        self.log_qz_x_tracker = keras.metrics.Mean(name="log_qz_x")

    def elbo_terms(self, x, outputs):
        """Per-example ``{"log_px_z", "log_pz", "log_qz_x"}``, each of shape ``(batch,)``."""
        return monte_carlo_elbo_terms(x, outputs["logits"], outputs["z"], outputs["z_mean"],
                                      outputs["z_log_var"])

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        terms = self.elbo_terms(x, y_pred)
        self.log_px_z_tracker.update_state(terms["log_px_z"])
        self.log_pz_tracker.update_state(terms["log_pz"])
        self.log_qz_x_tracker.update_state(terms["log_qz_x"])
        return -ops.mean(terms["log_px_z"] + terms["log_pz"] - terms["log_qz_x"])

    @property
    def metrics(self):
        # only the Monte-Carlo terms: the analytic trackers of the parent are never updated here
        return [m for m in super().metrics
                if m not in (self.reconstruction_loss_tracker, self.kl_loss_tracker)]

    def get_config(self):
        config = super().get_config()
        config.pop("kl_weight")
        return config
