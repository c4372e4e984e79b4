"""What every autoencoder of the series shares: an encoder, a decoder, and NumPy conveniences."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .data import check_images


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

    Every model reports its loss one way: ``loss_terms(x, outputs)`` returns a dict of
    **per-example** tensors, each of shape ``(batch,)``, holding ``"loss"`` (what training
    minimises) and the terms named in the class attribute ``TERMS``. ``compute_loss`` (shared,
    here) returns the batch mean of ``"loss"`` and tracks the batch mean of each term as a
    metric of that name, so ``fit``, ``evaluate`` and ``history`` use the words of the loss.

    Subclasses define ``call``, ``loss_terms``, ``code_of(x)`` (the deterministic code of a
    batch) and ``pixels_of(z)`` (pixel intensities in [0, 1] decoded from codes). This class
    adds input checks to ``fit``, batched NumPy ``encode`` / ``decode`` / ``reconstruct``, and
    ``.keras`` serialisation of the encoder, the decoder and the seed. ``compile`` is Keras'
    own: the training engine (:mod:`vaetutor.training`) adds the speed-ups.
    """

    #: names of the per-example terms that ``loss_terms`` returns besides ``"loss"``
    TERMS: tuple = ()

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.seed = seed
        self.term_trackers = [keras.metrics.Mean(name=name) for name in self.TERMS]

    def loss_terms(self, x, outputs) -> dict:
        """Per-example loss terms of ``x`` given ``outputs = self(x)``: ``{name: (batch,)}``."""
        raise NotImplementedError

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Batch mean of ``loss_terms(x, y_pred)["loss"]``; each term's batch mean is tracked."""
        if y_pred is None:
            y_pred = self(x, training=training)
        terms = self.loss_terms(x, y_pred)
        for tracker in self.term_trackers:
            tracker.update_state(terms[tracker.name])
        return ops.mean(terms["loss"])

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

    def mean_loss_terms(self, x, batch_size=1000) -> dict:
        """``{name: mean over the images of x}`` of ``loss`` and each term of ``TERMS``.

        The numbers ``evaluate`` reports (one draw of any noise per image), computed eagerly in
        batches, so that evaluating many models in a loop builds no compiled functions.
        """
        x = check_images(x, layout=self.image_layout)
        sums = {}
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            for name, values in self.loss_terms(batch, self(batch, training=False)).items():
                sums[name] = sums.get(name, 0.0) + float(ops.sum(values))
        return {name: total / len(x) for name, total in sums.items()}

    def encode(self, x, batch_size=1000):
        """The codes of a batch of images (``code_of``), as a NumPy array ``(n, latent_dim)``."""
        x = check_images(x, layout=self.image_layout)
        return in_batches(self.code_of, x, batch_size)

    def decode(self, z, batch_size=1000):
        """Pixel intensities in [0, 1] decoded from codes ``z`` ``(n, latent_dim)``, as NumPy."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}); got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError(f"z contains {int(np.sum(~np.isfinite(z)))} NaN or infinite values; "
                             "codes must be finite numbers")
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
