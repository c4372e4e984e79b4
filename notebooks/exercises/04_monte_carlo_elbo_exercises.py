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
# # 04 · Exercises: the Gaussian log-density and the Monte-Carlo ELBO
#
# Companion of [notebook 04, a convolutional VAE with the Monte-Carlo ELBO](../04_conv_vae_monte_carlo.ipynb).
# Instead of the analytic KL, notebook 04 estimates the whole ELBO from one sample z ~ q(z|x).
# You write the diagonal Gaussian log-density it needs, then the single-sample estimate.
#
# Each exercise gives a function to complete and a cell that checks it; when something is off,
# the check names the typical mistake it recognises or, if none fits, shows where your numbers
# differ from the right ones.

# %%
import math

from keras import ops

from vaetutor.exercises import check_log_density, check_monte_carlo_elbo

LOG_2PI = math.log(2.0 * math.pi)

# %% [markdown]
# ## Exercise 1 · The diagonal Gaussian log-density (3 points)
#
# $$\log \mathcal{N}(z; \mu, \mathrm{diag}(\sigma^2)) = -\frac{1}{2} \sum_j \left(\log 2\pi + \log\sigma_j^2 + \frac{(z_j - \mu_j)^2}{\sigma_j^2}\right), \qquad \log\sigma_j^2 = \texttt{log\_var}_j.$$
#
# `z` has shape `(batch, d)`; `mean` and `log_var` have that shape too, or are scalars (`0.0` and
# `0.0` give the prior N(0, I)). Return **one value per example**, shape `(batch,)`, summed over
# the d dimensions.

# %% nbgrader={"grade": false, "grade_id": "gaussian_log_density", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))) per example: shape (batch,)."""
    ### BEGIN SOLUTION
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gaussian_log_density_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_log_density(gaussian_log_density)
### BEGIN HIDDEN TESTS
check_log_density(gaussian_log_density, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · The single-sample Monte-Carlo ELBO (3 points)
#
# With one sample z ~ q(z|x) from the reparameterisation trick,
#
# $$\mathrm{ELBO} \approx \log p(x \mid z) + \log p(z) - \log q(z \mid x),$$
#
# where, for the decoder's pixel logits ℓ, the Bernoulli log-likelihood is
# log p(x|z) = Σ over the 784 pixels of [x · ℓ − softplus(ℓ)], log p(z) = log N(z; 0, I) and
# log q(z|x) = log N(z; z_mean, diag(exp(z_log_var))). Here `x` and `logits` are flat, shape
# `(batch, 784)`, so the sum over pixels is a sum over the last axis; on notebook 04's images,
# shape `(batch, 28, 28, 1)`, `axis=-1` would sum only the channel, and the sum must run over
# every axis but the batch (the package's `bernoulli_log_likelihood` does that). Return the
# estimate **per example**, shape `(batch,)`. Use the `log_density` argument for both Gaussian terms: it is your function
# above, and the check passes the package's, so that a mistake there is not counted twice.

# %% nbgrader={"grade": false, "grade_id": "monte_carlo_elbo", "locked": false, "schema_version": 3, "solution": true, "task": false}
def monte_carlo_elbo(x, logits, z, z_mean, z_log_var, log_density=gaussian_log_density):
    """Single-sample ELBO estimate per example: shape (batch,)."""
    ### BEGIN SOLUTION
    log_px_z = ops.sum(x * logits - ops.softplus(logits), axis=-1)
    log_pz = log_density(z, 0.0, 0.0)
    log_qz_x = log_density(z, z_mean, z_log_var)
    return log_px_z + log_pz - log_qz_x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "monte_carlo_elbo_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_monte_carlo_elbo(monte_carlo_elbo)
### BEGIN HIDDEN TESTS
check_monte_carlo_elbo(monte_carlo_elbo, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# The expectation of log q(z|x) − log p(z) over z ~ q(z|x) is the analytic KL of notebook 02, and
# its average over many samples of z approaches it. The single-sample estimate is therefore noisy
# but unbiased, and with the reparameterisation trick so is its gradient: stochastic gradient
# descent works with such noisy, unbiased gradients.
