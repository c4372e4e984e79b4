"""Exercise 02: the reparameterisation trick, the analytic KL, and a VAE trained with both.

``check_reparameterize`` and ``check_kl`` check the student's two functions against the
package's :func:`vaetutor.layers.reparameterize` and :func:`vaetutor.losses.kl_to_standard_normal`.
:func:`train_vae_with` then puts them into the package's own MLP VAE (notebook 02's model, built
from :func:`vaetutor.runs.mlp_vae_run`) and trains it with the package's engine;
:func:`check_training` says whether what it learned is a VAE.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from ..layers import reparameterize
from ..losses import kl_to_standard_normal
from .feedback import (Case, Mistake, away_from_zero, check_callable, fail, function_name, judge,
                       numpy_reference, passed)


def _std(z_log_var):
    return np.exp(0.5 * np.asarray(z_log_var, np.float64))


#: What the typical wrong reparameterisations give, for check_reparameterize.
SAMPLING_MISTAKES = [
    Mistake("log-variance used as a log standard deviation (missing 1/2)",
            "you multiplied eps by exp(z_log_var), which is the variance. The standard deviation "
            "is exp(z_log_var / 2): z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: m + np.exp(np.asarray(lv, float)) * e),
    Mistake("log-variance used as a standard deviation",
            "you multiplied eps by z_log_var itself. It is the log of the variance: the standard "
            "deviation is exp(z_log_var / 2).",
            lambda m, lv, e: m + np.asarray(lv, float) * e),
    Mistake("log-variance used as a variance",
            "you took the square root of z_log_var as if it were the variance (NaN where it is "
            "negative). The standard deviation is exp(z_log_var / 2).",
            lambda m, lv, e: m + np.sqrt(np.asarray(lv, float)) * e),
    Mistake("extra 1/2", "you halved the noise term; the standard deviation exp(z_log_var / 2) "
            "already holds the only 1/2.",
            lambda m, lv, e: m + 0.5 * _std(lv) * e),
    Mistake("flipped sign", "you subtracted the noise. (z_mean - std * eps has the same "
            "distribution, but with the eps given the answer is z_mean + std * eps.)",
            lambda m, lv, e: m - _std(lv) * e),
    Mistake("missing mean", "z_mean is missing: z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: _std(lv) * e),
    Mistake("mean multiplied instead of added", "z_mean multiplies the noise; it should be added: "
            "z = z_mean + exp(0.5 * z_log_var) * eps.",
            lambda m, lv, e: m * _std(lv) * e),
]


def check_reparameterize(fn, seed: int = 0) -> bool:
    """Check ``fn(z_mean, z_log_var, eps)`` = ``z_mean + exp(z_log_var / 2) * eps``.

    The reparameterisation trick of :class:`vaetutor.layers.Sampling`, with the standard normal
    noise ``eps`` passed in so that the result is deterministic. All three arguments and the
    result have shape ``(batch, latent_dim)``.
    """
    __tracebackhide__ = True
    check_callable(fn, "reparameterize(z_mean, z_log_var, eps)")
    name = function_name(fn)
    rng = np.random.default_rng(seed)
    shape = (5, 3)
    z_mean = away_from_zero(rng, -3, 3, shape, margin=0.5)
    z_log_var = away_from_zero(rng, -3, 2, shape)
    eps = away_from_zero(rng, -2, 2, shape, margin=0.3)
    cases = [
        Case((z_mean, z_log_var, eps), "for random z_mean, z_log_var, eps of shape (5, 3)"),
        Case((z_mean, z_log_var, eps), "for Keras tensors of shape (5, 3)", as_tensors=True),
        Case((np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32),
              np.float32([[1.0, -2.0], [0.5, 3.0]])),
             "for z_mean = 0, z_log_var = 0 (z must equal eps)"),
        Case((np.float32([[1.0]]), np.float32([[-8.0]]), np.float32([[2.0]])),
             "for a tiny variance, z_log_var = -8 (z must be close to z_mean)"),
    ]
    hint = "Recall z = z_mean + exp(0.5 * z_log_var) * eps, element-wise."
    for case in cases:
        judge(fn, name, case, numpy_reference(reparameterize), SAMPLING_MISTAKES, per=None,
               hint_inputs=hint)
    return passed(name, len(cases))


def kl_mistakes() -> list:
    """What the typical wrong KL formulas give (per example), for :func:`check_kl`."""
    def kl_with(terms, reduce=lambda t: t.sum(axis=-1)):
        return lambda m, lv: -0.5 * reduce(terms(np.asarray(m, np.float64), np.asarray(lv, np.float64)))

    ref = kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv))
    return [
        Mistake("flipped sign", "your KL is negative where the right one is positive. "
                "KL(q || p) >= 0: it is -1/2 * sum(1 + z_log_var - z_mean^2 - exp(z_log_var)); "
                "check the sign in front of the 1/2.",
                lambda m, lv: -ref(m, lv)),
        Mistake("missing 1/2", "your KL is twice the right one: the factor 1/2 in front of the "
                "sum is missing.", lambda m, lv: 2 * ref(m, lv)),
        Mistake("extra 1/2", "your KL is half the right one: there is one 1/2 too many.",
                lambda m, lv: 0.5 * ref(m, lv)),
        Mistake("log-variance used as a standard deviation",
                "you treated z_log_var as the standard deviation sigma (squaring it for the "
                "variance). It is log(sigma^2): the variance is exp(z_log_var).",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - lv ** 2)),
        Mistake("log-variance used as a standard deviation",
                "you treated z_log_var as the standard deviation sigma (log(sigma^2) and "
                "sigma^2 from it). It is log(sigma^2) itself: the variance is exp(z_log_var).",
                kl_with(lambda m, lv: 1 + np.log(lv ** 2) - m ** 2 - lv ** 2)),
        Mistake("log-variance used as a variance",
                "you used z_log_var where the variance exp(z_log_var) belongs.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - lv)),
        Mistake("log-variance used as a variance",
                "you treated z_log_var as the variance sigma^2 (taking its log). It is "
                "log(sigma^2): the variance is exp(z_log_var) and its log is z_log_var itself.",
                kl_with(lambda m, lv: 1 + np.log(lv) - m ** 2 - lv)),
        Mistake("standard deviation used as the variance",
                "you used exp(z_log_var / 2), the standard deviation, where the variance "
                "exp(z_log_var) belongs.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(0.5 * lv))),
        Mistake("missing 1", "the constant 1 inside the sum is missing (without it the KL of "
                "q = N(0, I) is not 0).", kl_with(lambda m, lv: lv - m ** 2 - np.exp(lv))),
        Mistake("mean instead of sum over latent dimensions",
                "you averaged over the latent dimensions; the KL of a diagonal Gaussian is the "
                "sum of the KLs of its dimensions: use a sum over the last axis.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv), lambda t: t.mean(axis=-1))),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch (the mean of the per-example KLs): "
                "return one KL per example, shape (batch,), and leave the mean over the batch to "
                "the model.", lambda m, lv: ref(m, lv).mean()),
        Mistake("reduction over the batch instead of per example",
                "you returned one number for the whole batch (the sum of the per-example KLs): "
                "return one KL per example, shape (batch,).", lambda m, lv: ref(m, lv).sum()),
        Mistake("wrong axis", "you summed over axis 0, the batch, and got one value per latent "
                "dimension. Sum over the last axis (the latent dimensions): axis=-1.",
                kl_with(lambda m, lv: 1 + lv - m ** 2 - np.exp(lv), lambda t: t.sum(axis=0))),
    ]


def check_kl(fn, seed: int = 0) -> bool:
    """Check ``fn(z_mean, z_log_var)`` = KL(N(z_mean, exp(z_log_var)) || N(0, I)) per example.

    KL = -1/2 * sum_j (1 + z_log_var_j - z_mean_j^2 - exp(z_log_var_j)), summed over the latent
    dimensions j. Inputs ``(batch, latent_dim)``; result ``(batch,)``, one KL per example.
    Compared with :func:`vaetutor.losses.kl_to_standard_normal`.
    """
    __tracebackhide__ = True
    check_callable(fn, "kl_divergence(z_mean, z_log_var)")
    name = function_name(fn)
    rng = np.random.default_rng(seed)
    shape = (6, 4)  # batch != latent_dim, so the wrong axis shows in the shape
    z_mean = away_from_zero(rng, -3, 3, shape, margin=0.5)
    z_log_var = away_from_zero(rng, -3, 2, shape)
    z_log_var[np.abs(z_log_var - 1) < 0.15] += 0.3  # log(1) = 0 would hide some variants
    z_log_var[:2] = np.abs(z_log_var[:2])  # rows where log(z_log_var) is defined
    cases = [
        Case((z_mean, z_log_var), "for random z_mean, z_log_var of shape (6, 4)"),
        Case((z_mean, z_log_var), "for Keras tensors of shape (6, 4)", as_tensors=True),
        Case((np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)),
             "for q = N(0, I) itself (z_mean = 0, z_log_var = 0: the KL must be 0)"),
        Case((np.float32([[2.0, -1.0, 0.5]]), np.float32([[-6.0, 3.0, 0.7]])),
             "for one example (batch of 1) with a very small and a large variance"),
    ]
    hint = "Recall KL = -1/2 * sum over latent dimensions of (1 + z_log_var - z_mean^2 - exp(z_log_var))."
    for case in cases:
        judge(fn, name, case, numpy_reference(kl_to_standard_normal), kl_mistakes(),
               per="example", hint_inputs=hint)
    return passed(name, len(cases))


# ---- training the MLP VAE with the student's two functions ---------------------------------


@dataclass
class TrainingReport:
    """What :func:`train_vae_with` measured. Losses in nats per image.

    ``history``: the per-epoch training losses (``loss``, ``reconstruction_loss``, ``kl_loss``,
    the last computed with the student's KL). The held-out numbers are the package's
    (:func:`vaetutor.evaluation.negative_elbo` on the whole MNIST test set, one draw of z per
    image, with the package's reparameterisation and KL): ``test_kl``, ``test_reconstruction``
    and ``test_neg_elbo``, their sum. ``kl_negative``: the student's KL is negative for some
    random input (a sign error). ``run``: the settings trained (:class:`vaetutor.settings.Run`).
    ``diverged``: where the engine stopped a loss that became NaN or infinite (``history["loss"]``
    then holds that one value), else None.
    """

    history: dict
    test_kl: float
    test_reconstruction: float
    test_neg_elbo: float
    run: object
    seconds: float
    error: str | None = None
    kl_negative: bool = False
    diverged: str | None = None

    def __str__(self):
        if self.error:
            return f"TrainingReport(training failed: {self.error})"
        if self.diverged:
            return f"TrainingReport(the loss became {self.history['loss'][-1]} {self.diverged})"
        train_size = self.run.train_size or 60_000
        return (f"trained {self.run.epochs} epoch(s) on {train_size:,} images in "
                f"{self.seconds:.0f} s; held-out -ELBO {self.test_neg_elbo:.2f} = "
                f"reconstruction {self.test_reconstruction:.2f} + KL {self.test_kl:.2f} nats "
                "per image")


def _negative_somewhere(kl_fn, seed) -> bool:
    """Whether ``kl_fn`` gives a negative value on random (z_mean, z_log_var) of shape (64, 2)."""
    rng = np.random.default_rng(seed)
    z_mean = rng.uniform(-3, 3, (64, 2)).astype(np.float32)
    z_log_var = rng.uniform(-3, 2, (64, 2)).astype(np.float32)
    try:
        from keras import ops

        values = np.asarray(ops.convert_to_numpy(kl_fn(ops.convert_to_tensor(z_mean),
                                                       ops.convert_to_tensor(z_log_var))))
        return bool(np.any(values < -1e-6))
    except Exception:  # noqa: BLE001 - a KL that fails here fails in training, reported there
        return False


def train_vae_with(sample_fn, kl_fn, run=None) -> TrainingReport:
    """Train notebook 02's MLP VAE with the student's sampling and KL in place of the package's.

    The model is the package's own (:func:`vaetutor.runs.build_model` of ``run``, by default
    :func:`vaetutor.runs.mlp_vae_run` in the current profile: 3 epochs on 12,000 images in the
    quick profile, notebook 02's 30 epochs on all 60,000 in the full one), with
    ``model.sampling.reparameterize = sample_fn`` and ``model.kl_divergence = kl_fn``; it is
    trained by :func:`vaetutor.training.train` in a temporary folder (nothing is kept).
    ``sample_fn(z_mean, z_log_var, eps)`` and ``kl_fn(z_mean, z_log_var)`` run inside the model
    on Keras tensors, so they must be written with ``keras.ops`` (gradients do not flow through
    NumPy). Never raises for a problem of the student's functions: the report carries the
    error, and :func:`check_training` explains it.
    """
    from ..evaluation import negative_elbo
    from ..runs import build_model, load_data, mlp_vae_run
    from ..training import TrainingDiverged, train

    run = mlp_vae_run() if run is None else run
    kl_negative = _negative_somewhere(kl_fn, run.seed)
    data = load_data(run)
    model = build_model(run)
    model.sampling.reparameterize = sample_fn
    model.kl_divergence = kl_fn
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="vaetutor-exercise-") as directory:
            trained = train(run, data, directory=directory, model=model, log_every=0)
    except TrainingDiverged as err:  # the engine's guard: the loss became NaN or infinite
        report = TrainingReport({"loss": [err.value]}, math.nan, math.nan, math.nan, run,
                                time.perf_counter() - start, kl_negative=kl_negative,
                                diverged=f"in epoch {err.epoch}, by batch {err.batch}")
        print(report)
        return report
    except Exception as err:  # noqa: BLE001 - reported by check_training, in words
        message = str(err).strip().splitlines()[0] if str(err).strip() else "(no message)"
        return TrainingReport({}, math.nan, math.nan, math.nan, run, time.perf_counter() - start,
                              error=f"{type(err).__name__}: {message[:300]}",
                              kl_negative=kl_negative)
    seconds = time.perf_counter() - start
    history = {k: [float(v) for v in values] for k, values in trained.history.items()}
    if all(math.isfinite(v) for v in history["loss"]):
        held_out = negative_elbo(trained.model, data.x_test)
    else:  # the weights went NaN: nothing to measure, check_training explains the loss
        held_out = dict.fromkeys(("kl", "reconstruction", "negative_elbo"), math.nan)
    report = TrainingReport(history, held_out["kl"], held_out["reconstruction"],
                            held_out["negative_elbo"], run, seconds, kl_negative=kl_negative)
    print(report)
    return report


#: What ``train_vae_with`` gives on the MNIST test set with the package's own functions,
#: measured on a 2-core CPU: -ELBO 171.7 nats, KL 4.75, after the quick profile's 3 epochs on
#: 12,000 images; -ELBO 150.4, KL 6.15, after the full profile's 30 epochs (a run retrained here,
#: not notebook 02's published one, which scores 150.63 and 6.10). A KL outside these bounds, or
#: a -ELBO above the last, means the training did not learn a VAE.
TRAINING_BOUNDS = {"min_kl": 1.0, "max_kl": 15.0, "max_neg_elbo": 200.0}


def check_training(report: TrainingReport) -> bool:
    """Check that the VAE trained with the student's functions is sane.

    The training loss must stay finite; on held-out images, the reference KL of the trained
    encoder must lie in [``min_kl``, ``max_kl``] nats and the -ELBO below ``max_neg_elbo``
    (:data:`TRAINING_BOUNDS`). A KL pushed up without bound is what a sign-flipped KL gives; a
    KL near 0 with a poor reconstruction, a KL weighted far too much.
    """
    __tracebackhide__ = True
    if not isinstance(report, TrainingReport):
        fail(f"check_training expects the result of train_vae_with(...); got a "
              f"{type(report).__name__}.")
    if report.error:
        fail("training the VAE with your functions failed: " + report.error + ". Inside a model "
              "your functions receive Keras tensors in a traced graph: write them with keras.ops "
              "(ops.exp, ops.sum, ops.square), not NumPy, and make them pass their checks first.")
    sign = (" Your KL is negative for some inputs: check its sign. With the sign flipped, "
            "minimising the loss maximises the KL, which grows until it overflows."
            if report.kl_negative else "")
    losses = report.history.get("loss", [])
    if not losses or not all(math.isfinite(v) for v in losses):
        where = (f" {report.diverged}, where the engine stopped it" if report.diverged
                 else f" (per epoch: {losses})")
        fail(f"the training loss became NaN or infinite{where}."
              + (sign or " Look for an exp that overflows or a log of a negative number in "
                 "your functions."))
    b = TRAINING_BOUNDS
    if report.kl_negative:
        fail("the VAE trained, but not with a KL." + sign)
    if not math.isfinite(report.test_kl) or report.test_kl > b["max_kl"]:
        fail(f"after training, the encoder's KL to the prior is {report.test_kl:.4g} nats per "
              f"image on held-out images (a trained VAE gives about 5): the training pushed q(z|x)"
              " away from N(0, I) instead of towards it - your KL probably has its sign flipped, "
              "so minimising the loss maximises the KL.")
    if report.test_kl < b["min_kl"]:
        fail(f"after training, the encoder's KL is only {report.test_kl:.3g} nats per image "
              f"and the reconstruction loss {report.test_reconstruction:.1f}: the KL term "
              "weighed so much that the codes carry almost nothing about the images - your KL is "
              "probably too large (summed over the batch, or over the wrong axis).")
    if not report.test_neg_elbo <= b["max_neg_elbo"]:
        fail(f"after training, the held-out -ELBO is {report.test_neg_elbo:.1f} nats per image; "
              f"a VAE trained this way reaches below {b['max_neg_elbo']:.0f}. Check that your "
              "sampling uses z_mean and the standard deviation exp(z_log_var / 2).")
    print(f"\u2713 the VAE trained with your functions is sane: held-out -ELBO "
          f"{report.test_neg_elbo:.1f}, KL {report.test_kl:.2f} nats per image.")
    return True
