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
# # 01 · Exercises: the KL divergence between two Gaussians
#
# Companion of [notebook 01, the 2-D standard normal](../01_standard_normal_reference.ipynb).
# You write the closed-form KL divergence between two one-dimensional Gaussians, the formula the
# VAE's KL term is built from, and check it.
#
# The exercise gives a function to complete and a cell that checks it. The check runs your
# function on random inputs (as NumPy arrays and as Keras tensors) and on edge cases; when
# something is off, it names the typical mistake it recognises or, if none fits, shows where your
# numbers differ from the right ones.

# %%
import numpy as np
from keras import ops

from vaetutor.exercises import check_kl_1d

# %% [markdown]
# ## Exercise 1 · KL(N(m1, s1²) ‖ N(m2, s2²)) (2 points)
#
# For two Gaussians p = N(m1, s1²) and q = N(m2, s2²) on the real line,
#
# $$\mathrm{KL}(p \,\|\, q) = \log\frac{s_2}{s_1} + \frac{s_1^2 + (m_1 - m_2)^2}{2 s_2^2} - \frac{1}{2}.$$
#
# The arguments `s1`, `s2` are **standard deviations** (> 0), not variances or log-variances:
# the formula reads most simply in them. Your function works element-wise on arrays of one shape
# (or on scalars) and returns an array of that shape. Use `keras.ops` (imported as `ops`) or
# NumPy, as you like.

# %% nbgrader={"grade": false, "grade_id": "kl_gaussians_1d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_gaussians_1d(m1, s1, m2, s2):
    """KL(N(m1, s1^2) || N(m2, s2^2)), element-wise; s1, s2 are standard deviations."""
    ### BEGIN SOLUTION
    return ops.log(s2 / s1) + (ops.square(s1) + ops.square(m1 - m2)) / (2.0 * ops.square(s2)) - 0.5
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "kl_gaussians_1d_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_kl_1d(kl_gaussians_1d)
### BEGIN HIDDEN TESTS
check_kl_1d(kl_gaussians_1d, seed=2024)
### END HIDDEN TESTS

# %% [markdown]
# ## What your function says
#
# The KL is 0 only for two identical Gaussians and is not symmetric. The prior of the series is
# N(0, 1) in each dimension: compare a narrow code N(1, 0.5²) with it both ways round.

# %%
print("KL(N(1, 0.5^2) || N(0, 1)) =", float(ops.convert_to_numpy(kl_gaussians_1d(1.0, 0.5, 0.0, 1.0))))
print("KL(N(0, 1) || N(1, 0.5^2)) =", float(ops.convert_to_numpy(kl_gaussians_1d(0.0, 1.0, 1.0, 0.5))))
