"""The multilayer-perceptron encoder and decoder of the MLP-VAE article (784-512-2)."""

from __future__ import annotations

import keras

from .layers import BoundedLogVar
from .vae import VAE


def _check_sizes(**sizes):
    for name, value in sizes.items():
        values = value if isinstance(value, (tuple, list)) else [value]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            raise ValueError(f"{name} must be positive integers; got {value!r}")


def _relu_stack(h, hidden_units):
    """Apply Dense(units, relu) for each entry of ``hidden_units``."""
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(h)
    return h


def build_mlp_encoder(input_dim=784, hidden_units=(512,), latent_dim=2, name="mlp_encoder"):
    """x ``(batch, input_dim)`` -> Dense(relu) layers -> ``[z_mean, z_log_var]`` ``(batch, latent_dim)``."""
    _check_sizes(input_dim=input_dim, hidden_units=hidden_units, latent_dim=latent_dim)
    x = keras.Input(shape=(input_dim,), name="x")
    h = _relu_stack(x, hidden_units)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(x, [z_mean, z_log_var], name=name)


def build_mlp_decoder(latent_dim=2, hidden_units=(512,), output_dim=784, name="mlp_decoder"):
    """z ``(batch, latent_dim)`` -> Dense(relu) layers -> pixel logits ``(batch, output_dim)``.

    The article ends in a sigmoid; we return the logits and apply the sigmoid inside the loss
    (same model, numerically stable). ``VAE.decode`` returns the probabilities.
    """
    _check_sizes(latent_dim=latent_dim, hidden_units=hidden_units, output_dim=output_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = _relu_stack(z, hidden_units)
    logits = keras.layers.Dense(output_dim, name="logits")(h)
    return keras.Model(z, logits, name=name)


def build_mlp_vae(input_dim=784, hidden_units=(512,), latent_dim=2, kl_weight=1.0, seed=None,
                  free_bits=0.0, kl_warmup_epochs=0, log_var_limit=None):
    """The MLP VAE: encoder 784-512-(2+2), decoder 2-512-784 (hidden sizes configurable).

    Notebook 07's options: ``free_bits`` and ``kl_warmup_epochs`` give a
    :class:`~vaetutor.variants.KLRemediesVAE`; ``log_var_limit`` bounds the encoder's
    log-variance (:class:`~vaetutor.layers.BoundedLogVar`).
    """
    from .variants import KLRemediesVAE

    encoder = build_mlp_encoder(input_dim, hidden_units, latent_dim)
    if log_var_limit is not None:
        x = keras.Input(shape=(input_dim,), name="x")
        z_mean, z_log_var = encoder(x)
        z_log_var = BoundedLogVar(log_var_limit, name="bounded_log_var")(z_log_var)
        encoder = keras.Model(x, [z_mean, z_log_var], name="mlp_encoder_bounded")
    decoder = build_mlp_decoder(latent_dim, tuple(reversed(hidden_units)), input_dim)
    if free_bits or kl_warmup_epochs:
        return KLRemediesVAE(encoder, decoder, kl_weight=kl_weight, seed=seed,
                             free_bits=free_bits, kl_warmup_epochs=kl_warmup_epochs,
                             name="mlp_vae")
    return VAE(encoder, decoder, kl_weight=kl_weight, seed=seed, name="mlp_vae")
