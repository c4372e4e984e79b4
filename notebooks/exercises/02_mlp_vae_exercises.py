# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Exercises: the reparameterisation trick, the analytic KL, and a VAE trained with them
#
# Companion of [notebook 02, an MLP VAE for MNIST](../02_mlp_vae_mnist.ipynb). You write the two
# functions that make a VAE differ from an autoencoder — the sampling step and the KL term — then
# train notebook 02's MLP VAE with *your* two functions in place of the package's.
#
# Exercises 1 and 2 each give a function to complete and a cell that checks it; exercise 3 has
# nothing to write and trains a VAE with the two. The checks of exercises 1 and 2 run your function
# on random inputs (as NumPy arrays and as Keras tensors) and on edge cases; when something is off,
# they name the typical mistake they recognise or, if none fits, show where your numbers differ from
# the right ones. Exercise 3's check reads the training loss, and the held-out KL and negative ELBO
# of the trained VAE.

# %%
import os

# Assignments run in the quick profile unless VAETUTOR_PROFILE says otherwise (README, "For
# instructors"): three epochs on 12,000 images, well under a minute on a laptop CPU.
os.environ.setdefault("VAETUTOR_PROFILE", "quick")

from keras import ops

from vaetutor.exercises import check_kl, check_reparameterize, check_training, train_vae_with

# %% [markdown]
# ## Exercise 1 · The reparameterisation trick (2 points)
#
# The encoder gives, for each image, the mean `z_mean` and the log-variance `z_log_var` of a
# diagonal Gaussian q(z|x). A sample from it, written as a deterministic function of them and of
# standard normal noise ε ~ N(0, I),
#
# $$z = \mu + \sigma \odot \varepsilon, \qquad \mu = \texttt{z\_mean}, \quad \sigma = \exp(\tfrac{1}{2}\,\texttt{z\_log\_var}),$$
#
# lets the gradient reach `z_mean` and `z_log_var`. Complete `reparameterize`; the noise `eps`
# is an argument so that the check can compare exact numbers. All arguments and the result have
# shape `(batch, latent_dim)`. The model below calls your function on Keras tensors inside its
# training step, so write it with `keras.ops` (imported as `ops`).

# %% nbgrader={"grade": false, "grade_id": "reparameterize", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize(z_mean, z_log_var, eps):
    """z = z_mean + exp(z_log_var / 2) * eps, all of shape (batch, latent_dim)."""
    ### BEGIN SOLUTION
    return z_mean + ops.exp(0.5 * z_log_var) * eps
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "reparameterize_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_reparameterize(reparameterize)
### BEGIN HIDDEN TESTS
check_reparameterize(reparameterize, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · The analytic KL to the prior (3 points)
#
# For q(z|x) = N(μ, diag(σ²)) and the prior p(z) = N(0, I), the KL divergence has a closed form,
# a sum over the latent dimensions j:
#
# $$\mathrm{KL}(q \,\|\, p) = -\frac{1}{2} \sum_j \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right),
# \qquad \log\sigma_j^2 = \texttt{z\_log\_var}_j.$$
#
# Complete `kl_divergence`: inputs of shape `(batch, latent_dim)`, **one KL per example**,
# shape `(batch,)`. The model takes the mean over the batch; your function must not.

# %% nbgrader={"grade": false, "grade_id": "kl_divergence", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, exp(z_log_var)) || N(0, I)) per example: shape (batch,)."""
    ### BEGIN SOLUTION
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "kl_divergence_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_kl(kl_divergence)
### BEGIN HIDDEN TESTS
check_kl(kl_divergence, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3 · Train the VAE with your two functions (2 points)
#
# `train_vae_with` takes notebook 02's own model (the package's MLP VAE, 784-512-2 and
# 2-512-784, built from `vaetutor.runs.mlp_vae_run()`), puts your `reparameterize` in its
# sampling layer and your `kl_divergence` in its loss, and trains it with the package's engine
# on the loss
#
# $$\text{loss} = \underbrace{-\log p(x \mid z)}_{\text{summed over 784 pixels}} + \texttt{kl\_divergence}(\mu, \log\sigma^2),$$
#
# averaged over each batch. It then measures, with the package's reference functions, the
# held-out KL and negative ELBO of what it trained on the 10,000 test images. Nothing to write
# here: if your functions are right, the VAE learns. The run's settings are notebook 02's: 3
# epochs on 12,000 images in the quick profile, 30 epochs on all 60,000 in the full one.

# %% tags=["nbval-ignore-output"]
report = train_vae_with(reparameterize, kl_divergence)

# %% nbgrader={"grade": true, "grade_id": "training_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_training(report)
