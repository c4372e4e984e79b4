"""The convolutional encoder and decoder of the Fashion-MNIST article."""

from __future__ import annotations

import keras
from keras import ops

from .initializers import pytorch_default_init
from .mmd import MMDVAE
from .vae import MonteCarloVAE


@keras.saving.register_keras_serializable(package="vaetutor")
class SplitMeanLogVar(keras.layers.Layer):
    """Split ``(batch, 2 * d)`` into ``[z_mean, z_log_var]``, each ``(batch, d)``."""

    def call(self, inputs):
        z_mean, z_log_var = ops.split(inputs, 2, axis=-1)
        return [z_mean, z_log_var]

    def compute_output_shape(self, input_shape):
        half = (*input_shape[:-1], input_shape[-1] // 2)
        return [half, half]


def build_conv_encoder(latent_dim=2, image_shape=(28, 28, 1), gaussian=True, name="conv_encoder"):
    """x ``(batch, 28, 28, 1)`` -> Conv(32, 3, s2) -> Conv(64, 3, s2) -> Dense -> code.

    Both convolutions use ReLU and "valid" padding, as in the article: 28 -> 13 -> 6. With
    ``gaussian`` (the VAE) a Dense(2 d) is split into ``[z_mean, z_log_var]``; without (the
    MMD-VAE) a Dense(d) gives the code ``z`` itself.
    """
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer; got {latent_dim!r}")
    x = keras.Input(shape=image_shape, name="x")
    h = keras.layers.Conv2D(32, 3, strides=2, activation="relu", name="conv_1")(x)
    h = keras.layers.Conv2D(64, 3, strides=2, activation="relu", name="conv_2")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    if not gaussian:
        return keras.Model(x, keras.layers.Dense(latent_dim, name="z")(h), name=name)
    h = keras.layers.Dense(2 * latent_dim, name="mean_and_log_var")(h)
    z_mean, z_log_var = SplitMeanLogVar(name="split")(h)
    return keras.Model(x, [z_mean, z_log_var], name=name)


def build_conv_decoder(latent_dim=2, final_activation=None, name="conv_decoder"):
    """z ``(batch, d)`` -> Dense(7*7*32) -> 7x7 -> ConvT(64, s2) -> ConvT(32, s2) -> ConvT(1) -> 28x28x1.

    With ``final_activation=None`` the output is pixel logits (the VAE); ``"sigmoid"`` gives
    pixel intensities in (0, 1) (the MMD-VAE).
    """
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer; got {latent_dim!r}")
    z = keras.Input(shape=(latent_dim,), name="z")
    h = keras.layers.Dense(7 * 7 * 32, activation="relu", name="dense")(z)
    h = keras.layers.Reshape((7, 7, 32), name="reshape")(h)
    h = keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu",
                                     name="deconv_1")(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu",
                                     name="deconv_2")(h)
    out = keras.layers.Conv2DTranspose(1, 3, strides=1, padding="same",
                                       activation=final_activation, name="logits")(h)
    return keras.Model(z, out, name=name)


def build_conv_vae(latent_dim=2, seed=None, init="keras"):
    """The convolutional VAE of the Fashion-MNIST article, trained with the Monte-Carlo ELBO.

    ``init="keras"``: Keras' default initialisation (Glorot-uniform kernels, zero biases), as in
    the article; ``"pytorch"``: PyTorch's default, drawn with ``seed``
    (:func:`vaetutor.initializers.pytorch_default_init`).
    """
    if init not in ("keras", "pytorch"):
        raise ValueError(f"init must be 'keras' or 'pytorch'; got {init!r}")
    model = MonteCarloVAE(build_conv_encoder(latent_dim), build_conv_decoder(latent_dim),
                          seed=seed, name="conv_vae")
    if init == "pytorch":
        pytorch_default_init(model, seed=0 if seed is None else seed)
    return model


def build_conv_mmd_vae(latent_dim=2, seed=None):
    """The MMD-VAE of the Fashion-MNIST article: the same convolutional architecture, a
    deterministic encoder and a sigmoid decoder."""
    return MMDVAE(build_conv_encoder(latent_dim, gaussian=False),
                  build_conv_decoder(latent_dim, final_activation="sigmoid"),
                  seed=seed, name="conv_mmd_vae")
