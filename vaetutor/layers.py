"""The reparameterisation trick as a Keras layer."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vaetutor")
class Sampling(keras.layers.Layer):
    """Draw ``z = z_mean + exp(z_log_var / 2) * eps`` with ``eps ~ N(0, I)``.

    Writing the sample as a deterministic function of (z_mean, z_log_var) and independent noise
    lets gradients flow into the encoder. The noise comes from the layer's own
    ``keras.random.SeedGenerator``, so a fixed ``seed`` gives a repeatable sequence of draws.

    Input: ``[z_mean, z_log_var]``, each ``(batch, latent_dim)``. Output: ``(batch, latent_dim)``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
