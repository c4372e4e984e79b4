"""The reparameterisation trick: a function, and the Keras layer that draws its noise."""

from __future__ import annotations

import keras
from keras import ops


def reparameterize(z_mean, z_log_var, eps):
    """A draw from q(z|x) = N(z_mean, diag(exp(z_log_var))), given standard-normal noise ``eps``.

        z = z_mean + exp(z_log_var / 2) * eps,    eps ~ N(0, I)

    ``exp(z_log_var / 2)`` is the standard deviation. All three of shape ``(..., latent_dim)``
    (NumPy arrays or tensors; the result is a tensor of z_mean's dtype). Every draw of z in the package, in
    training and in evaluation, goes through this function.
    """
    z_mean = ops.convert_to_tensor(z_mean)
    z_log_var = ops.cast(z_log_var, z_mean.dtype)
    eps = ops.cast(eps, z_mean.dtype)
    return z_mean + ops.exp(0.5 * z_log_var) * eps


@keras.saving.register_keras_serializable(package="vaetutor")
class Sampling(keras.layers.Layer):
    """Draw ``z = z_mean + exp(z_log_var / 2) * eps`` with ``eps ~ N(0, I)`` (:func:`reparameterize`).

    Writing the sample as a deterministic function of (z_mean, z_log_var) and independent noise
    lets gradients flow into the encoder. The noise comes from the layer's own
    ``keras.random.SeedGenerator``, so a fixed ``seed`` gives a repeatable sequence of draws.

    Input: ``[z_mean, z_log_var]``, each ``(batch, latent_dim)``. Output: ``(batch, latent_dim)``.
    """

    #: the function that turns (z_mean, z_log_var, eps) into z; the exercises plug in a
    #: student's own on an instance
    reparameterize = staticmethod(reparameterize)

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return self.reparameterize(z_mean, z_log_var, eps)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="vaetutor")
class BoundedLogVar(keras.layers.Layer):
    """``limit * tanh(z_log_var / limit)``: the log-variance kept inside (-limit, limit).

    Near 0 it changes nothing (slope 1); far out it saturates, so exp(z_log_var) can never
    overflow float32 (which happens past z_log_var = 88.7) however large the step. Same shape
    in and out.
    """

    def __init__(self, limit, **kwargs):
        super().__init__(**kwargs)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise ValueError(f"limit must be a positive number (nats of log-variance); "
                             f"got {limit!r}")
        self.limit = float(limit)

    def call(self, z_log_var):
        return self.limit * ops.tanh(z_log_var / self.limit)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}
