"""Variational autoencoders with a diagonal-Gaussian encoder and a Bernoulli (logits) decoder.

:class:`GaussianVAE` holds what they share (the encoder's two heads, the reparameterised sample,
the decoder's logits); the two models differ only in how they estimate the loss:

- :class:`VAE`: reconstruction + ``kl_weight`` * KL, the KL in closed form (notebooks 02, 03);
- :class:`MonteCarloVAE`: the single-sample Monte-Carlo estimate of the whole ELBO (notebook 04).

Each model's loss is its ``loss_terms`` method, a few lines below its ``call``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .autoencoder import ImageAutoencoder
from .checks import non_negative_number
from .layers import Sampling
from .losses import bernoulli_log_likelihood, gaussian_log_density, kl_to_standard_normal


def posterior(model, x):
    """``(z_mean, z_log_var)`` of q(z|x) for a batch of images ``x``: float32 NumPy arrays
    ``(batch, latent_dim)``, from ``model.encoder(x)``.

    A ValueError says what is wrong when the encoder is not Gaussian (the MMD-VAE's returns one
    code, not ``[z_mean, z_log_var]``) or returns shapes or values that cannot be a q(z|x).
    Draw z from it with :func:`vaetutor.layers.reparameterize`.
    """
    outputs = model.encoder(x, training=False)
    if not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
        raise ValueError(
            "model.encoder must return [z_mean, z_log_var] (a Gaussian q(z|x)); got "
            f"{type(outputs).__name__} - a deterministic encoder (the MMD-VAE's) defines no "
            "q(z|x) to sample or score: use model.encode(x) for its codes")
    z_mean, z_log_var = (ops.convert_to_numpy(t).astype("float32", copy=False) for t in outputs)
    if z_mean.ndim != 2 or z_mean.shape != z_log_var.shape or len(z_mean) != len(x):
        raise ValueError(
            "model.encoder must return z_mean and z_log_var of one shape (batch, latent_dim) "
            f"for a batch of {len(x)}; got {z_mean.shape} and {z_log_var.shape}")
    if not (np.all(np.isfinite(z_mean)) and np.all(np.isfinite(z_log_var))):
        raise ValueError("model.encoder returned NaN or infinite z_mean or z_log_var; "
                         "expected finite values - check the model's weights")
    return z_mean, z_log_var


class GaussianVAE(ImageAutoencoder):
    """Encoder ``x -> [z_mean, z_log_var]``, a reparameterised sample ``z``, decoder ``z -> logits``.

    ``encoder(x)`` gives ``z_mean`` and ``z_log_var``, each ``(batch, latent_dim)``, of
    ``q(z|x) = N(z_mean, diag(exp(z_log_var)))``; ``z = z_mean + exp(z_log_var / 2) * eps``
    (:class:`~vaetutor.layers.Sampling`, seeded by ``seed``); ``decoder(z)`` gives one logit per
    pixel, with the shape of ``x``, for ``p(x|z) = prod Bernoulli(sigmoid(logits))``.
    Subclasses define ``loss_terms``.
    """

    #: the decoder's p(x|z): the held-out bounds (:mod:`vaetutor.evaluation`,
    #: :mod:`vaetutor.likelihood`) score Bernoulli decoders only
    likelihood = "bernoulli"

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

    The optimiser minimises the batch mean of ``loss``: the negative ELBO when
    ``kl_weight == 1``, a beta-VAE otherwise. The loss lives in ``loss_terms`` (reduced to its
    batch mean by the shared ``compute_loss``) rather than in a backend-specific ``train_step``,
    so the model trains with the stock ``fit`` on the TensorFlow, JAX and PyTorch backends.
    """

    TERMS = ("reconstruction_loss", "kl_loss")

    #: the KL term, KL(q(z|x) || N(0, I)) per example; the exercises plug in a student's own
    kl_divergence = staticmethod(kl_to_standard_normal)

    def __init__(self, encoder, decoder, kl_weight=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        self.kl_weight = non_negative_number(kl_weight, "kl_weight")

    def loss_terms(self, x, outputs):
        """Per-example terms, each ``(batch,)`` (summed over pixels and latent dimensions)."""
        # -log p(x|z): the binary cross-entropy summed over the pixels, for one draw of z
        reconstruction_loss = -bernoulli_log_likelihood(x, outputs["logits"])
        # KL(q(z|x) || N(0, I)) in closed form
        kl_loss = self.kl_divergence(outputs["z_mean"], outputs["z_log_var"])
        loss = reconstruction_loss + self.kl_weight * kl_loss
        return {"reconstruction_loss": reconstruction_loss, "kl_loss": kl_loss, "loss": loss}

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight}


@keras.saving.register_keras_serializable(package="vaetutor")
class MonteCarloVAE(GaussianVAE):
    """The VAE of the Fashion-MNIST article: the single-sample Monte-Carlo ELBO, per example.

    With one reparameterised sample z ~ q(z|x), ``log q(z|x) - log p(z)`` is a one-draw
    estimate of the KL, so the expectation of ``loss`` over z is the analytic loss of
    :class:`VAE` with ``kl_weight = 1``.
    """

    TERMS = ("log_px_z", "log_pz", "log_qz_x")

    def loss_terms(self, x, outputs):
        """Per-example terms, each ``(batch,)`` (summed over pixels and latent dimensions)."""
        z = outputs["z"]
        log_px_z = bernoulli_log_likelihood(x, outputs["logits"])                  # log p(x|z)
        log_pz = gaussian_log_density(z, 0.0, 0.0)                                 # log N(z; 0, I)
        log_qz_x = gaussian_log_density(z, outputs["z_mean"], outputs["z_log_var"])  # log q(z|x)
        loss = -(log_px_z + log_pz - log_qz_x)
        return {"log_px_z": log_px_z, "log_pz": log_pz, "log_qz_x": log_qz_x, "loss": loss}
