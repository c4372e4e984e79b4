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
# # 03 · Exercises: reading the KL-coefficient sweep
#
# Companion of [notebook 03, the KL coefficient](../03_kl_coefficient_sweep.ipynb). Notebook 03
# trained the MLP VAE with the loss reconstruction + c · KL for eight values of c and printed, for
# each, held-out averages in nats per image on the 10,000 test images: the reconstruction loss
# `recon`, the `KL`, the training objective `c*KL+recon`, and the negative ELBO `-ELBO` =
# recon + KL, in which c does not appear (its values still differ from row to row, since each c
# trained a different model). The published full-profile sweep keeps that table as
# data, `kl_sweep_results.json`; below it is printed as notebook 03 prints it, and read into
# `table`, one dict per c. Your answers are checked against the same file.

# %%
from vaetutor.exercises import check_kl_factor, check_lowest_neg_elbo, load_sweep_table, show_sweep_table

show_sweep_table()
table = load_sweep_table()  # one dict per c: row["c"], row["reconstruction"], row["kl"],
#                             row["loss"] (c*KL+recon), row["neg_elbo"] (-ELBO)


def row(c):
    """The table's row for the coefficient c."""
    return next(r for r in table if r["c"] == c)


# %% [markdown]
# ## Question 1 · Which c gives the best bound? (1 point)
#
# The ELBO is a lower bound on log p(x): the lower the held-out −ELBO, the higher that bound on
# the log-likelihood of unseen digits (a bound, not log p(x) itself). Set `lowest_neg_elbo_c` to
# the value of c whose −ELBO is the lowest. Read it off the table, or compute it from `table`.

# %% nbgrader={"grade": false, "grade_id": "lowest_neg_elbo", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
lowest_neg_elbo_c = min(table, key=lambda r: r["neg_elbo"])["c"]
### END SOLUTION
print("lowest -ELBO at c =", lowest_neg_elbo_c)

# %% nbgrader={"grade": true, "grade_id": "lowest_neg_elbo_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_lowest_neg_elbo(lowest_neg_elbo_c)

# %% [markdown]
# ## Question 2 · How much does a stronger KL weight shrink the KL? (1 point)
#
# By what factor does the held-out KL fall when c goes from 0.5 to 2? Set `kl_factor` to
# KL(c = 0.5) / KL(c = 2), a number larger than 1.

# %% nbgrader={"grade": false, "grade_id": "kl_factor", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
kl_factor = row(0.5)["kl"] / row(2)["kl"]
### END SOLUTION
print(f"the KL falls by a factor of {kl_factor:.3f}")

# %% nbgrader={"grade": true, "grade_id": "kl_factor_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_kl_factor(kl_factor)

# %% [markdown]
# Multiplying c by 4 shrinks the KL by a factor of only about 1.44, much less than 4, while the
# reconstruction loss rises by about 1.2 nats (144.89 to 146.12). The table shows this outcome, not
# its cause; one reading is that the information the encoder still keeps is the information that
# would cost the most reconstruction to give up.
