"""vaetutor: the companion package of a notebook series on variational autoencoders.

The notebooks tell the story; this package holds the code they call, once, tested:

- :mod:`vaetutor.profiles` — ``full`` (the articles' settings) or ``quick`` (CI) training settings
- :mod:`vaetutor.seeding`  — one call that seeds Python, NumPy and Keras
- :mod:`vaetutor.data`     — MNIST / Fashion-MNIST in [0, 1], with input checks
- :mod:`vaetutor.losses`   — the ELBO's terms as plain functions, one value per example
- :mod:`vaetutor.layers`   — the reparameterisation ``Sampling`` layer
- :mod:`vaetutor.mlp`      — the MLP encoder and decoder (784-512-2)
- :mod:`vaetutor.vae`      — ``VAE`` (reconstruction + kl_weight * KL) and ``MonteCarloVAE``
- :mod:`vaetutor.conv`     — the convolutional encoder and decoder, the conv VAE and MMD-VAE
- :mod:`vaetutor.mmd`      — ``MMDVAE``: deterministic codes matched to N(0, I) by the MMD
- :mod:`vaetutor.sweep`    — the KL-coefficient sweep from one shared start
- :mod:`vaetutor.training` — resumable training with a checkpoint per epoch, and its logs
- :mod:`vaetutor.snapshots` — training with pictures of the model every few epochs
- :mod:`vaetutor.evaluation` — held-out ELBO, estimator checks, reconstruction error, code MMD
- :mod:`vaetutor.morph`    — interpolation between images in latent space
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
