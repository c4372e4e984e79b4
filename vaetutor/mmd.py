"""The MMD-VAE (an InfoVAE): a deterministic autoencoder whose codes are matched to N(0, I)."""

from __future__ import annotations

import keras
from keras import ops

from .autoencoder import ImageAutoencoder
from .losses import maximum_mean_discrepancy, squared_error_per_pixel


@keras.saving.register_keras_serializable(package="vaetutor")
class MMDVAE(ImageAutoencoder):
    """Encoder ``x -> z`` (no variance, no sampling), decoder ``z -> pixels`` in (0, 1).

    Per batch:

        reconstruction_loss = mean over images and pixels of (x - x_hat)^2
        mmd_loss            = MMD(codes of the batch, as many samples of N(0, I))
        loss                = reconstruction_loss + mmd_weight * mmd_loss

    Instead of pulling each image's code distribution towards the prior (the VAE's KL), the MMD
    compares the *whole batch* of codes with samples from the prior. The prior samples come from
    the model's own ``keras.random.SeedGenerator``.
    """

    def __init__(self, encoder, decoder, mmd_weight=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        if mmd_weight < 0:
            raise ValueError(f"mmd_weight must be >= 0; got {mmd_weight!r}")
        self.mmd_weight = float(mmd_weight)
        self.prior_seed_generator = keras.random.SeedGenerator(seed)
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.mmd_loss_tracker = keras.metrics.Mean(name="mmd_loss")

    def call(self, x, training=False):
        z = self.encoder(x, training=training)
        return {"z": z, "x_reconstructed": self.decoder(z, training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        z = y_pred["z"]
        prior = keras.random.normal(ops.shape(z), seed=self.prior_seed_generator)
        reconstruction = squared_error_per_pixel(x, y_pred["x_reconstructed"])
        mmd = maximum_mean_discrepancy(prior, z)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.mmd_loss_tracker.update_state(mmd)
        return ops.mean(reconstruction) + self.mmd_weight * mmd

    def code_of(self, x):
        return self.encoder(x, training=False)

    def pixels_of(self, z):
        return self.decoder(z, training=False)

    def get_config(self):
        return {**super().get_config(), "mmd_weight": self.mmd_weight}
