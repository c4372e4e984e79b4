"""Checks that teach: one function per exercise of the companion notebooks.

Each ``check_*`` runs a student's function on random inputs (as NumPy arrays and as Keras
tensors) and on edge cases, compares what it returns with this package's reference, and when
they differ says *which* typical mistake it sees (:mod:`.feedback`, the engine all checks
share). In a notebook, ``check_kl(kl_divergence)`` prints one line when the function is right
and raises :class:`ExerciseError` (an ``AssertionError``, so nbgrader counts the test cell as
failed) with the explanation when it is not. One module per notebook's exercises:
:mod:`.ch01_kl_gaussians` ... :mod:`.ch05_mmd`.

The exercises (``notebooks/exercises/``):

- 01: ``kl_gaussians_1d(m1, s1, m2, s2)``, KL(N(m1, s1^2) || N(m2, s2^2)) from *standard
  deviations*
- 02: ``reparameterize(z_mean, z_log_var, eps)``, ``kl_divergence(z_mean, z_log_var)``, and
  :func:`train_vae_with` those two, checked by :func:`check_training`
- 03: the lowest held-out -ELBO of the KL sweep and the KL's fall, from its results file
- 04: ``gaussian_log_density(z, mean, log_var)``, ``monte_carlo_elbo(x, logits, z, ...)``
- 05: ``gaussian_kernel_matrix(x, y)``, ``maximum_mean_discrepancy(x, y, kernel=...)``
"""

from .ch01_kl_gaussians import check_kl_1d
from .ch02_mlp_vae import (TRAINING_BOUNDS, TrainingReport, check_kl, check_reparameterize,
                           check_training, train_vae_with)
from .ch03_kl_sweep import check_kl_factor, check_lowest_neg_elbo, load_sweep_table, show_sweep_table
from .ch04_monte_carlo_elbo import check_log_density, check_monte_carlo_elbo
from .ch05_mmd import check_kernel, check_mmd
from .feedback import ExerciseError

__all__ = [
    "ExerciseError",
    "check_kl_1d",
    "check_reparameterize",
    "check_kl",
    "train_vae_with",
    "TrainingReport",
    "TRAINING_BOUNDS",
    "check_training",
    "load_sweep_table",
    "show_sweep_table",
    "check_lowest_neg_elbo",
    "check_kl_factor",
    "check_log_density",
    "check_monte_carlo_elbo",
    "check_kernel",
    "check_mmd",
]
