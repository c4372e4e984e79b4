"""The MMD-VAE (an InfoVAE): a deterministic autoencoder whose codes are matched to N(0, I)."""

from __future__ import annotations

import keras
from keras import ops

from .autoencoder import ImageAutoencoder
from .losses import maximum_mean_discrepancy, squared_error_per_pixel
from .checks import non_negative_number


@keras.saving.register_keras_serializable(package="vaetutor")
class MMDVAE(ImageAutoencoder):
    """Encoder ``x -> z`` (no variance, no sampling), decoder ``z -> pixels`` in (0, 1).

    Per batch:

        reconstruction_loss = mean over pixels of (x - x_hat)^2, per image
        mmd_loss            = MMD^2(codes of the batch, as many samples of N(0, I))
        loss                = mean over images of reconstruction_loss + mmd_weight * mmd_loss

    Instead of pulling each image's code distribution towards the prior (the VAE's KL), the MMD
    compares the *whole batch* of codes with samples from the prior. The prior samples come from
    the model's own ``keras.random.SeedGenerator``.
    """

    TERMS = ("reconstruction_loss", "mmd_loss")

    def __init__(self, encoder, decoder, mmd_weight=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, seed=seed, **kwargs)
        self.mmd_weight = non_negative_number(mmd_weight, "mmd_weight")
        self.prior_seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        z = self.encoder(x, training=training)
        return {"z": z, "x_reconstructed": self.decoder(z, training=training)}

    def loss_terms(self, x, outputs):
        """Per-example ``reconstruction_loss``, ``mmd_loss`` and ``loss``, each ``(batch,)``.

        The MMD is a property of the whole batch of codes, so ``mmd_loss`` repeats the batch's
        one value for every example: its batch mean is that value, and the batch mean of
        ``loss`` is ``mean(reconstruction) + mmd_weight * MMD``.
        """
        z = outputs["z"]
        prior = keras.random.normal(ops.shape(z), seed=self.prior_seed_generator)
        reconstruction = squared_error_per_pixel(x, outputs["x_reconstructed"])
        mmd = ops.zeros_like(reconstruction) + maximum_mean_discrepancy(prior, z)
        return {"reconstruction_loss": reconstruction, "mmd_loss": mmd,
                "loss": reconstruction + self.mmd_weight * mmd}

    def code_of(self, x):
        return self.encoder(x, training=False)

    def pixels_of(self, z):
        return self.decoder(z, training=False)

    def get_config(self):
        return {**super().get_config(), "mmd_weight": self.mmd_weight}
