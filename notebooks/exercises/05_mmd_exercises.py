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
# # 05 · Exercises: the InfoVAE kernel and the maximum mean discrepancy
#
# Companion of [notebook 05, the MMD-VAE](../05_mmd_vae.ipynb). The MMD-VAE replaces the KL term
# by the maximum mean discrepancy between the codes of a batch and samples of the prior N(0, I).
# You write its Gaussian kernel, then the estimate of the squared MMD, MMD², that the loss uses.
#
# Each exercise gives a function to complete and a cell that checks it; when something is off,
# the check names the typical mistake it recognises or, if none fits, shows where your numbers
# differ from the right ones.

# %%
import numpy as np
from keras import ops

from vaetutor.exercises import check_kernel, check_mmd

# %% [markdown]
# ## Exercise 1 · The InfoVAE kernel (3 points)
#
# For codes x of shape `(n, d)` and y of shape `(m, d)`, the InfoVAE code uses the kernel
#
# $$k(x_i, y_j) = \exp\left(-\frac{1}{d} \cdot \frac{1}{d}\sum_{k=1}^{d} (x_{ik} - y_{jk})^2\right),$$
#
# the mean squared difference divided once more by the dimension d: a Gaussian kernel
# exp(−‖x − y‖² / d²), that is exp(−‖x − y‖² / (2s²)) with 2s² = d², so its width s = d/√2 grows
# in proportion to d. Return the matrix of all pairs, shape `(n, m)`, with `k[i, j]` comparing
# `x[i]` with `y[j]`.

# %% nbgrader={"grade": false, "grade_id": "gaussian_kernel_matrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kernel_matrix(x, y):
    """k[i, j] = exp(-mean_d((x[i] - y[j])^2) / d) for x (n, d), y (m, d): shape (n, m)."""
    ### BEGIN SOLUTION
    d = x.shape[-1]
    squared = ops.mean(ops.square(ops.expand_dims(x, 1) - ops.expand_dims(y, 0)), axis=-1)
    return ops.exp(-squared / d)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gaussian_kernel_matrix_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_kernel(gaussian_kernel_matrix)
### BEGIN HIDDEN TESTS
check_kernel(gaussian_kernel_matrix, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · The MMD (3 points)
#
# $$\mathrm{MMD}^2(x, y) = \overline{k(x, x')} + \overline{k(y, y')} - 2\, \overline{k(x, y)},$$
#
# each bar a mean over **all** pairs, a point with itself included (the biased estimate of the
# InfoVAE code). It is one number for the two samples, exactly 0 when the two samples are
# identical (two different samples of one distribution give a positive value, which on average
# shrinks as the samples grow). Use the
# `kernel` argument: it is your function above, and the check passes the package's, so that a
# mistake there is not counted twice.

# %% nbgrader={"grade": false, "grade_id": "maximum_mean_discrepancy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def maximum_mean_discrepancy(x, y, kernel=gaussian_kernel_matrix):
    """MMD^2 between the samples x (n, d) and y (m, d): one number."""
    ### BEGIN SOLUTION
    return ops.mean(kernel(x, x)) + ops.mean(kernel(y, y)) - 2.0 * ops.mean(kernel(x, y))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "maximum_mean_discrepancy_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_mmd(maximum_mean_discrepancy)
### BEGIN HIDDEN TESTS
check_mmd(maximum_mean_discrepancy, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## What your MMD says
#
# Codes drawn from the prior itself give an MMD² near 0; codes shifted away from it, a larger
# one. (The cell prints the value of your function, the squared MMD, under the label "MMD".)

# %%
rng = np.random.default_rng(0)
prior = rng.standard_normal((200, 2)).astype("float32")
for shift in (0.0, 0.5, 2.0):
    codes = rng.standard_normal((200, 2)).astype("float32") + shift
    print(f"codes N({shift}, I) against N(0, I): MMD = "
          f"{float(ops.convert_to_numpy(maximum_mean_discrepancy(codes, prior))):.4f}")
