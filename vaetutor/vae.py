"""The variational autoencoder as a Keras model: loss = reconstruction + kl_weight * KL."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .data import check_images
from .layers import Sampling
from .losses import bernoulli_log_likelihood, kl_to_standard_normal, monte_carlo_elbo_terms


def _in_batches(fn, x, batch_size):
    """Apply ``fn`` eagerly to consecutive slices of ``x``; concatenate the NumPy results.

    Eager calls, unlike ``Model.predict``, build no ``tf.function``, so calling them for many
    models (a sweep) neither retraces nor warns.
    """
    return np.concatenate(
        [ops.convert_to_numpy(fn(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    )


@keras.saving.register_keras_serializable(package="vaetutor")
class VAE(keras.Model):
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
        super().__init__(**kwargs)
        if not np.isfinite(kl_weight) or kl_weight < 0:
            raise ValueError(f"kl_weight must be a finite number >= 0; got {kl_weight!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.kl_weight = float(kl_weight)
        self.seed = seed
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

    # -- NumPy conveniences for notebooks and plots -------------------------------------------

    @property
    def image_layout(self) -> str:
        """``"flat"`` if the encoder takes ``(n, 784)`` vectors, ``"image"`` for ``(n, 28, 28, 1)``."""
        return "flat" if len(self.encoder.inputs[0].shape) == 2 else "image"

    def fit(self, x=None, *args, validation_data=None, **kwargs):
        """``keras.Model.fit`` after checking NumPy inputs (shape, NaNs, range [0, 1])."""
        if isinstance(x, np.ndarray):
            x = check_images(x, layout=self.image_layout, name="x")
        if isinstance(validation_data, np.ndarray):
            validation_data = (validation_data,)
        if isinstance(validation_data, tuple) and isinstance(validation_data[0], np.ndarray):
            validation_data = (
                check_images(validation_data[0], layout=self.image_layout, name="validation x"),
                *validation_data[1:],
            )
        return super().fit(x, *args, validation_data=validation_data, **kwargs)

    def encode(self, x, batch_size=1000):
        """``z_mean`` of q(z|x) for a batch of images, as a NumPy array ``(n, latent_dim)``."""
        x = check_images(x, layout=self.image_layout)
        return _in_batches(lambda batch: self.encoder(batch, training=False)[0], x, batch_size)

    def decode(self, z, batch_size=1000):
        """Pixel probabilities sigmoid(decoder(z)), as NumPy, for codes ``z`` of shape ``(n, d)``."""
        z = np.asarray(z, dtype="float32")
        latent_dim = self.decoder.inputs[0].shape[-1]
        if z.ndim != 2 or z.shape[1] != latent_dim:
            raise ValueError(f"z must have shape (n, {latent_dim}); got {z.shape}")
        return _in_batches(lambda batch: ops.sigmoid(self.decoder(batch, training=False)), z,
                           batch_size)

    def reconstruct(self, x, batch_size=1000):
        """Decode the encoder's mean: the deterministic reconstruction of ``x``."""
        return self.decode(self.encode(x, batch_size), batch_size)

    # -- serialisation -------------------------------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "kl_weight": self.kl_weight,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


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
