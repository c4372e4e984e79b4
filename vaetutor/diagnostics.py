"""What a trained VAE does with its latent units, and how sharp its images are (notebook 07).

- :func:`active_units`: Burda, Grosse and Salakhutdinov (2016, *Importance Weighted
  Autoencoders*, section 5.2): unit u is active when A_u = Var_x(E_q(z|x)[z_u]) > 0.01, the
  variance over the images of the encoder's mean;
- :func:`mean_kl_per_dimension`: the analytic KL of each dimension, averaged over images: an
  inactive unit has q(z_u|x) close to the prior for every x, hence a KL near 0;
- :func:`image_sharpness`: the mean squared image gradient, a plain measure of how much
  detail an image has (blurring spreads a step over several pixels, and the squares of the
  smaller steps add up to less);
- :class:`LogVarianceWatch`: the encoder's largest log-variance after every training step, to
  see exp(z_log_var) heading for float32's overflow at 88.7.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .checks import positive_int
from .losses import kl_per_dimension
from .vae import posterior

#: the activity threshold of Burda et al. (2016)
ACTIVITY_THRESHOLD = 0.01
#: the largest z_log_var whose exp is finite in float32: ln(3.4028235e38)
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))


def unit_activity(z_mean) -> np.ndarray:
    """A_u = Var_x(E_q[z_u]) for each unit u: the variance over the images (axis 0) of the
    encoder's means ``z_mean`` ``(n, latent_dim)``; returns ``(latent_dim,)``."""
    z_mean = np.asarray(z_mean, dtype="float64")
    if z_mean.ndim != 2 or len(z_mean) < 2:
        raise ValueError(f"z_mean must have shape (n, latent_dim) with n >= 2 images; got "
                         f"{z_mean.shape}")
    return z_mean.var(axis=0)


def active_units(z_mean, threshold: float = ACTIVITY_THRESHOLD) -> int:
    """The number of units whose activity :func:`unit_activity` exceeds ``threshold``."""
    return int(np.sum(unit_activity(z_mean) > threshold))


def mean_kl_per_dimension(model, x, batch_size: int = 1000) -> np.ndarray:
    """KL(q(z_u|x) || N(0, 1)) of each latent dimension u, averaged over the images ``x``:
    shape ``(latent_dim,)``, nats; the values sum to the mean KL per image."""
    batch_size = positive_int(batch_size, "batch_size")
    total = 0.0
    for i in range(0, len(x), batch_size):
        z_mean, z_log_var = posterior(model, x[i:i + batch_size])
        total = total + ops.convert_to_numpy(kl_per_dimension(z_mean, z_log_var)).sum(axis=0)
    return np.asarray(total, dtype="float64") / len(x)


def image_sharpness(images) -> float:
    """Mean squared gradient of images ``(n, 28, 28[, 1])`` or ``(n, 784)``, pixels in [0, 1].

    Per pixel dx^2 + dy^2 with dx, dy the differences to the right and lower neighbour (over
    the 27 x 27 pixels that have both), averaged over pixels and images. 0 for a flat image;
    a step of 1 spread over three pixels counts 3 * (1/3)^2 = 1/3 of the sharp step. (The mean
    gradient *magnitude* would not see that blur: the steps still add up to 1.)
    """
    x = np.asarray(images, dtype="float64")
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"flat images must have a square number of pixels; got {x.shape}")
        x = x.reshape(len(x), side, side)
    elif x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or min(x.shape[1:]) < 2 or len(x) == 0:
        raise ValueError(f"images must be (n, height, width[, 1]) or (n, pixels); got "
                         f"{np.shape(images)}")
    dx = x[:, :-1, 1:] - x[:, :-1, :-1]
    dy = x[:, 1:, :-1] - x[:, :-1, :-1]
    return float((dx ** 2 + dy ** 2).mean())


class LogVarianceWatch:
    """A per-batch hook for :func:`vaetutor.training.train` (``on_batch_end=``) that records,
    after every step, the largest encoder log-variance over the images ``probe``
    ``(n, ...)``, with the epoch's running training loss and its terms (from the logs).

    ``records``: one dict per step: ``step`` (from 1), ``max_log_var`` (max over images and
    dimensions of z_log_var with the weights after that step), and the epoch's running means
    ``loss``, ``reconstruction_loss`` and ``kl_loss`` (NaN when the logs lack one).
    :meth:`first_overflow` is the first step after which exp(z_log_var) is infinite in float32
    for some probe image (``max_log_var`` > :data:`FLOAT32_EXP_LIMIT`), or None.
    """

    def __init__(self, probe):
        self.probe = np.asarray(probe, dtype="float32")
        if self.probe.ndim < 2 or len(self.probe) == 0:
            raise ValueError(f"probe must be a batch of images (n, ...) with n >= 1; got shape "
                             f"{self.probe.shape}")
        self.records = []

    def __call__(self, step, model, logs):
        # the encoder itself, not posterior(): after the step that made the weights NaN, the
        # record says NaN instead of the hook raising
        z_log_var = ops.convert_to_numpy(model.encoder(self.probe, training=False)[1])
        self.records.append(dict(step=int(step),
                                 max_log_var=float(np.max(z_log_var)),
                                 loss=float(logs.get("loss", np.nan)),
                                 reconstruction_loss=float(logs.get("reconstruction_loss",
                                                                    np.nan)),
                                 kl_loss=float(logs.get("kl_loss", np.nan))))

    def first_overflow(self):
        """The first recorded step whose ``max_log_var`` exceeds :data:`FLOAT32_EXP_LIMIT`."""
        return next((r["step"] for r in self.records
                     if r["max_log_var"] > FLOAT32_EXP_LIMIT), None)
