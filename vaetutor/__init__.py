"""vaetutor: the companion package of a notebook series on variational autoencoders.

The notebooks tell the story; this package holds the code they call, once, tested:

- :mod:`vaetutor.profiles` — ``full`` (the articles' settings) or ``quick`` (CI) training settings
- :mod:`vaetutor.seeding`  — one call that seeds Python, NumPy and Keras
- :mod:`vaetutor.data`     — MNIST / Fashion-MNIST in [0, 1], with input checks
- :mod:`vaetutor.losses`   — the ELBO's terms as plain functions, one value per example
- :mod:`vaetutor.layers`   — the reparameterisation ``Sampling`` layer
- :mod:`vaetutor.mlp`      — the MLP encoder and decoder (784-512-2)
- :mod:`vaetutor.vae`      — the ``VAE`` model: reconstruction + kl_weight * KL
- :mod:`vaetutor.training` — a one-line-per-epoch training log
- :mod:`vaetutor.plots`    — the figures of the series
"""

import os as _os

from ._quiet import quiet_native_stderr as _quiet_native_stderr

# TensorFlow's C++ start-up messages (CPU features, oneDNN, CUDA probing on machines without a
# GPU) go straight to the process's stderr, where a notebook records them next to the learner's
# output. They say nothing a learner needs, so: INFO and WARNING off unless asked for, and the
# first import of Keras (and its first operation, which initialises the devices) done with the
# native stderr muted. Python exceptions are not affected.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _quiet_native_stderr():
    import keras as _keras

    _keras.ops.convert_to_numpy(_keras.ops.zeros((1,)))

__version__ = "0.1.0"
