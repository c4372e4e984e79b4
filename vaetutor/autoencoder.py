"""What every autoencoder of the series shares: an encoder, a decoder, and NumPy conveniences."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .data import check_images
from .speed import default_steps_per_execution, fast_optimizer


def in_batches(fn, x, batch_size):
    """Apply ``fn`` eagerly to consecutive slices of ``x``; concatenate the NumPy results.

    Eager calls, unlike ``Model.predict``, build no ``tf.function``, so calling them for many
    models (a sweep) neither retraces nor warns.
    """
    return np.concatenate(
        [ops.convert_to_numpy(fn(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    )


class ImageAutoencoder(keras.Model):
    """Base of the series' models: ``encoder`` and ``decoder`` Keras models over 28x28 images.

    Subclasses define the loss (in ``compute_loss``), ``code_of(x)`` — the deterministic code of
    a batch — and ``pixels_of(z)`` — pixel intensities in [0, 1] decoded from codes. This class
    adds fast defaults to ``compile``, input checks to ``fit``, batched NumPy ``encode`` /
    ``decode`` / ``reconstruct``, and ``.keras`` serialisation of the encoder, the decoder and
    the seed.
    """

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.seed = seed

    def code_of(self, x):
        raise NotImplementedError

    def pixels_of(self, z):
        raise NotImplementedError

    @property
    def image_layout(self) -> str:
        """``"flat"`` if the encoder takes ``(n, 784)`` vectors, ``"image"`` for ``(n, 28, 28, 1)``."""
        return "flat" if len(self.encoder.inputs[0].shape) == 2 else "image"

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.inputs[0].shape[-1])

    def compile(self, optimizer="rmsprop", **kwargs):
        """``keras.Model.compile`` with the speed-ups of :mod:`vaetutor.speed`.

        ``steps_per_execution`` defaults to :data:`~vaetutor.speed.STEPS_PER_EXECUTION` (1 on
        PyTorch; pass 1 for Keras' default), and a new ``keras.optimizers.Adam`` becomes a
        :class:`~vaetutor.speed.FusedAdam` with the same settings on TensorFlow. Results are
        those of the plain settings, up to float rounding.
        """
        kwargs.setdefault("steps_per_execution", default_steps_per_execution())
        super().compile(optimizer=fast_optimizer(optimizer), **kwargs)

    def compile_from_config(self, config):
        """Compile a model loaded from a ``.keras`` file as it was compiled when saved (Keras
        skips this for models that override ``compile`` unless they say how)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

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
        """The codes of a batch of images (``code_of``), as a NumPy array ``(n, latent_dim)``."""
        x = check_images(x, layout=self.image_layout)
        return in_batches(self.code_of, x, batch_size)

    def decode(self, z, batch_size=1000):
        """Pixel intensities in [0, 1] decoded from codes ``z`` ``(n, latent_dim)``, as NumPy."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}); got {z.shape}")
        return in_batches(self.pixels_of, z, batch_size)

    def reconstruct(self, x, batch_size=1000):
        """Decode the code of each image: the deterministic reconstruction of ``x``."""
        return self.decode(self.encode(x, batch_size), batch_size)

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)
