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
- :mod:`vaetutor.runs`     — the series' training runs, each named and defined once
- :mod:`vaetutor.training` — the training engine: a checkpoint per epoch, resume, history
- :mod:`vaetutor.published` — published weights, and ``obtain_run``: published or trained here
- :mod:`vaetutor.sweep`    — the KL-coefficient sweep from one shared start, and its table
- :mod:`vaetutor.snapshots` — pictures of a run at its snapshot epochs
- :mod:`vaetutor.evaluation` — held-out ELBO, estimator checks, reconstruction error, code MMD
- :mod:`vaetutor.morph`    — interpolation between images in latent space
- :mod:`vaetutor.plots`    — the figures of the series
"""

__version__ = "0.1.0"
