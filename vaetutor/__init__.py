"""vaetutor: the companion package of a notebook series on variational autoencoders.

The notebooks tell the story; this package holds the code they call, once, tested.

The models (what a chapter teaches):

- :mod:`vaetutor.losses`   — the ELBO's terms as plain functions, one value per example
- :mod:`vaetutor.layers`   — the reparameterisation trick: ``reparameterize`` and ``Sampling``
- :mod:`vaetutor.autoencoder` — what every model shares: ``compute_loss``, ``encode``, ``decode``
- :mod:`vaetutor.vae`      — ``VAE`` (reconstruction + kl_weight * KL), ``MonteCarloVAE``, ``posterior``
- :mod:`vaetutor.mmd`      — ``MMDVAE``: deterministic codes matched to N(0, I) by the MMD
- :mod:`vaetutor.mlp`, :mod:`vaetutor.conv` — the encoder and decoder builders

Training (how the series runs them):

- :mod:`vaetutor.settings` — ``Run``: a training run as plain settings
- :mod:`vaetutor.runs`     — the series' catalogue: every run, its builder and its data
- :mod:`vaetutor.training` — the one training engine: checkpoints, resume, history, ``open_run``
- :mod:`vaetutor.speed`    — the engine's speed-ups (the models never meet them)
- :mod:`vaetutor.published` — published weights, and ``obtain_run``: published or trained here
- :mod:`vaetutor.sweep`, :mod:`vaetutor.snapshots` — notebook 03's sweep, notebook 04's pictures

Measuring (notebooks 04–06): :mod:`vaetutor.evaluation` (the held-out ELBO),
:mod:`vaetutor.likelihood`, :mod:`vaetutor.representation`, :mod:`vaetutor.sample_quality`,
:mod:`vaetutor.morph`, :mod:`vaetutor.scorecard`. Around them: :mod:`vaetutor.data`,
:mod:`vaetutor.plots`, :mod:`vaetutor.profiles`, :mod:`vaetutor.seeding`,
:mod:`vaetutor.checks`, :mod:`vaetutor.source` (code shown in the notebooks),
:mod:`vaetutor.runtime`, and :mod:`vaetutor.exercises` (the graded exercises' checks).
"""

__version__ = "0.1.0"
