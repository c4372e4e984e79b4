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
# # 01 · The 2-D standard normal: the picture the KL term aims at
#
# A variational autoencoder squeezes every image into a short code `z`, here just two numbers,
# so that we can draw the codes on a plane. Its loss has two parts: one rewards codes from which
# the decoder can rebuild the image, the other — the Kullback–Leibler (KL) term — pulls the
# encoder's distribution of codes towards a fixed reference, the **prior** p(z) = N(0, I).
#
# Before training anything, this notebook looks at that reference, so that the latent-space
# pictures of the later notebooks have something to be compared with.
#
# **You will learn**
# - what 5,000 samples of the 2-D standard normal look like, and how much of the mass lies
#   within radius 1, 2 and 3;
# - how the closed-form KL divergence from a Gaussian q(z|x) to N(0, I) grows when q is moved
#   away from the origin, squeezed, or widened — which is the pull the VAE feels.

# %%
import numpy as np
import matplotlib.pyplot as plt

from vaetutor.losses import kl_to_standard_normal
from vaetutor.plots import plot_standard_normal_reference
from vaetutor.profiles import choose_settings
from vaetutor.seeding import seed_everything
from vaetutor.runtime import describe

# %% tags=["nbval-ignore-output"]
# where this notebook runs: Keras, its backend and the device (CPU, or the GPU's name)
print(describe())

# %% tags=["nbval-ignore-output"]
# This notebook trains nothing, so both profiles use the same settings.
settings = choose_settings(
    full=dict(n_samples=5000, seed=0),
    quick=dict(n_samples=5000, seed=0),
)
seed_everything(settings["seed"])

# %% [markdown]
# ## The prior
#
# The density of the 2-D standard normal is
#
# $$p(z) = \frac{1}{2\pi}\exp\!\left(-\tfrac12\,(z_0^2 + z_1^2)\right),$$
#
# the same in every direction. The squared radius $r^2 = z_0^2 + z_1^2$ is a sum of two squared
# standard normals, a $\chi^2$ variable with 2 degrees of freedom, so the fraction of the mass
# inside radius $R$ has a closed form:
#
# $$P(r \le R) = 1 - e^{-R^2/2}.$$
#
# These are the dashed circles of the figure, each labelled with the share of the 5,000 samples
# inside it and, in brackets, this closed form: about 39 % of the mass lies within radius 1,
# 86 % within 2, and only about 1 % beyond 3. This is why the later notebooks decode the latent
# plane over $[-3, 3]^2$: outside it the prior has almost no mass.

# %% tags=["key-figure"]
fig = plot_standard_normal_reference(n=settings["n_samples"], seed=settings["seed"])

# %% [markdown]
# The samples in the figure come from a seeded NumPy generator, so the numbers below are the same
# on every run. They agree with the closed forms within sampling error: the standard error of a
# mean of 5,000 unit-variance samples is $1/\sqrt{5000} \approx 0.014$.

# %%
z = np.random.default_rng(settings["seed"]).standard_normal((settings["n_samples"], 2))
radius = np.hypot(z[:, 0], z[:, 1])
print(f"sample mean        : {z.mean(0).round(3)}   (closed form [0, 0])")
print(f"sample covariance  : {np.cov(z.T).round(3).tolist()}   (closed form identity)")
for R in (1, 2, 3):
    print(f"inside radius {R}    : {np.mean(radius <= R):.3f}   (closed form {1 - np.exp(-R**2 / 2):.3f})")

# %%
standard_error = 1 / np.sqrt(settings["n_samples"])
assert np.all(np.abs(z.mean(0)) < 4 * standard_error)
assert np.allclose(np.cov(z.T), np.eye(2), atol=0.08)
for R in (1, 2, 3):
    p = 1 - np.exp(-(R**2) / 2)
    assert abs(np.mean(radius <= R) - p) < 4 * np.sqrt(p * (1 - p) / len(z))

# %% [markdown]
# ## What the KL term measures
#
# The encoder of a VAE does not output a single code but a Gaussian
# $q(z|x) = \mathcal N(\mu, \operatorname{diag}\sigma^2)$, written as `z_mean` $=\mu$ and
# `z_log_var` $=\log\sigma^2$. Its KL divergence from the prior has a closed form, summed over
# the latent dimensions $j$:
#
# $$\mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big)
#   = -\tfrac12 \sum_j \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
#
# It is zero only when $\mu = 0$ and $\sigma = 1$, i.e. when q *is* the prior. Moving the mean
# away costs $\mu_j^2/2$ nats per dimension; shrinking the variance (a confident, precise code)
# costs $-\tfrac12(1 + \log\sigma_j^2 - \sigma_j^2)$, which grows without bound as $\sigma_j \to 0$.
# Here is the function the package uses, and its value for a few Gaussians:

# %%
import inspect

print(inspect.getsource(kl_to_standard_normal))

# %%
examples = {
    "the prior itself":           ([0.0, 0.0], [1.0, 1.0]),
    "mean moved to (1, 0)":       ([1.0, 0.0], [1.0, 1.0]),
    "mean moved to (3, 0)":       ([3.0, 0.0], [1.0, 1.0]),
    "narrow: sigma = 0.1":        ([0.0, 0.0], [0.1, 0.1]),
    "wide: sigma = 2":            ([0.0, 0.0], [2.0, 2.0]),
    "moved and narrow":           ([2.0, -1.0], [0.1, 0.1]),
}
z_mean = np.array([m for m, _ in examples.values()], dtype="float32")
z_log_var = np.log(np.array([s for _, s in examples.values()], dtype="float32") ** 2)
kl = np.asarray(kl_to_standard_normal(z_mean, z_log_var))
for (name, (m, s)), value in zip(examples.items(), kl):
    print(f"{name:22s} mean={m!s:12s} sigma={s!s:11s} KL = {value + 0.0:6.3f} nats")

# %%
# The same numbers from the one-dimensional closed form, summed by hand.
def kl_1d(mu, sigma):
    return np.log(1 / sigma) + (sigma**2 + mu**2) / 2 - 0.5

by_hand = [sum(kl_1d(mu, s) for mu, s in zip(m, sd)) for m, sd in examples.values()]
assert np.allclose(kl, by_hand, atol=1e-5)
assert kl[0] == 0.0 and np.all(kl[1:] > 0)

# %% [markdown]
# In pictures: below, 500 samples from three such Gaussians are drawn over the prior. The KL term
# charges each one for how far its cloud is from the grey one. In a VAE each image gets its own
# q(z|x); the KL term pushes all of them towards the grey cloud, while the reconstruction term
# wants them distinct and precise enough to tell the images apart. The balance of the two forces
# is the story of notebook 03.

# %%
rng = np.random.default_rng(1)
fig, ax = plt.subplots(figsize=(8.5, 5.5), layout="constrained")
ax.scatter(*rng.standard_normal((2000, 2)).T, s=3, color="0.7", label="prior N(0, I)")
for (name, color) in (("mean moved to (1, 0)", "tab:blue"), ("wide: sigma = 2", "tab:green"),
                      ("moved and narrow", "tab:red")):
    m, s = map(np.array, examples[name])
    cloud = m + s * rng.standard_normal((500, 2))
    k = kl[list(examples).index(name)]
    ax.scatter(*cloud.T, s=3, color=color, label=f"{name}: KL = {k:.2f}")
ax.set(xlim=(-5, 5), ylim=(-5, 5), xlabel="z[0]", ylabel="z[1]", aspect="equal",
       title="Three Gaussians q(z|x) and their KL to the prior")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, markerscale=3,
          borderaxespad=0)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## Takeaways
# - The prior N(0, I) is a round cloud: 39 / 86 / 98.9 % of its mass within radius 1 / 2 / 3.
# - The KL term is zero only for q = prior, costs $\mu^2/2$ per dimension for an offset mean and
#   grows without bound as the code's variance shrinks.
#
# ## Exercises
#
# Graded exercises on the closed-form KL between two 1-D Gaussians, with checks that name the mistake they see, are in the
# companion notebook [`exercises/01_kl_gaussians_exercises.ipynb`](exercises/01_kl_gaussians_exercises.ipynb).
#
# 1. Draw the 3-D standard normal's radius distribution: what fraction lies within radius 1?
#
#    <details><summary>Hint</summary>
#
#    $r^2$ is now $\chi^2$ with 3 degrees of freedom; check your number against a histogram of
#    `np.linalg.norm(rng.standard_normal((100_000, 3)), axis=1)`.
#    </details>
#
#    <details><summary>Answer</summary>
#
#    $P(r \le 1) = \operatorname{erf}(1/\sqrt2) - \sqrt{2/\pi}\,e^{-1/2} \approx 0.199$: about 20 %,
#    against 39 % in 2-D. In more dimensions the mass moves outwards, to a shell of radius
#    about $\sqrt d$.
#    </details>
#
# 2. For a 1-D Gaussian with $\mu = 0$, find the $\sigma$ at which the KL equals 1 nat, on the
#    narrow side and on the wide side.
#
#    <details><summary>Hint</summary>
#
#    Solve $-\log\sigma + \sigma^2/2 - 1/2 = 1$ numerically (for example with bisection, or by
#    plotting the left side).
#    </details>
#
#    <details><summary>Answer</summary>
#
#    $\sigma \approx 0.229$ on the narrow side and $\sigma \approx 2.12$ on the wide side: widening
#    the code by a factor 2.1 costs as much as narrowing it by a factor 4.4 (the $\sigma^2/2$ term
#    grows faster than $-\log\sigma$).
#    </details>
#
# 3. Why is the KL, which compares whole distributions, a better regulariser for a code than
#    simply penalising $\lVert\mu\rVert^2$?
#
#    <details><summary>Hint</summary>
#
#    What would stop an encoder from making every $\sigma$ tiny under a penalty on the means
#    alone?
#    </details>
#
#    <details><summary>Answer</summary>
#
#    A penalty on $\lVert\mu\rVert^2$ can be met by shrinking all codes towards 0 while making
#    them ever more precise ($\sigma \to 0$), which turns the VAE into a plain autoencoder whose
#    codes fill a tiny region with gaps between them. The KL also charges for small $\sigma$
#    ($-\log\sigma$ per dimension, without bound), so no code can shrink to a point for free:
#    each $\sigma$ settles where the reconstruction's gain from a more precise code stops paying
#    for that charge. For a trained encoder that is still far narrower than the prior (notebook
#    04's Fashion-MNIST encoder has an average $\log q(z|x)$ of +3.51 nats; since that average is
#    $-\log 2\pi - \log\sigma_1\sigma_2 - 1$, a typical $\sigma_1\sigma_2$ is about
#    $e^{-3.51}/2\pi e \approx 0.002$, against 1 for the prior), but it is not zero, and the
#    means are pulled towards the origin, so the codes are kept near the region the prior
#    samples from instead of a tiny one.
#    </details>
