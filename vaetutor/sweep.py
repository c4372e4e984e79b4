"""The KL-coefficient sweep (notebook 03): one MLP VAE per coefficient c, and their results.

Every run trains ``loss = reconstruction + c * KL`` from the same saved initial weights, with
the same sampling seed and the same batches (:func:`~vaetutor.runs.kl_sweep_run`), so that c is
the only difference between them.
"""

from __future__ import annotations

import numpy as np

from .evaluation import negative_elbo
from .published import obtain_run
from .runs import KL_WEIGHTS, kl_sweep_run


def kl_sweep(kl_weights=KL_WEIGHTS, *, data=None, retrain=None) -> dict:
    """``{c: TrainedRun}``: the MLP VAE trained with ``loss = reconstruction + c * KL`` for each
    ``c``, every run from the same saved start (:func:`~vaetutor.runs.kl_sweep_run`).

    Each run is published or trained by :func:`~vaetutor.published.obtain_run`, which prints
    one line per ``c`` saying which.
    """
    kl_weights = [float(c) for c in kl_weights]
    if len(set(kl_weights)) != len(kl_weights) or any(not c >= 0 for c in kl_weights):
        raise ValueError(f"kl_weights must be distinct numbers >= 0; got {kl_weights}")
    return {c: obtain_run(kl_sweep_run(c), data, retrain=retrain, log_every=0)
            for c in kl_weights}


def latent_spread(z) -> dict:
    """Mean and standard deviation of each latent coordinate of codes ``z`` ``(n, d)``.

    Also ``rms_radius`` = sqrt(mean over codes of ||z||^2): one number for how far the codes lie
    from the origin (sqrt(d) for samples of N(0, I)).
    """
    z = np.asarray(z, dtype="float64")
    if z.ndim != 2:
        raise ValueError(f"z must have shape (n, d); got {z.shape}")
    return {
        "mean": z.mean(0),
        "std": z.std(0),
        "rms_radius": float(np.sqrt(np.mean(np.sum(z**2, axis=1)))),
    }


def evaluate_runs(runs, x_test, batch_size=1000):
    """Test-set results of each ``{c: TrainedRun}``: one row (a dict) per ``c``, in order.

    Row keys: ``c``; ``reconstruction`` and ``kl`` (nats per image, means over the test set, from
    :func:`vaetutor.evaluation.negative_elbo`: one draw of z per image);
    ``loss`` = reconstruction + c * KL (what that run minimised); ``neg_elbo`` = reconstruction +
    KL (the bound itself, comparable across c); ``z_mean_mean``, ``z_mean_std`` (per latent
    dimension) and ``rms_radius`` of the test codes ``z_mean``; and ``codes``, the codes.
    """
    rows = []
    for c, trained in runs.items():
        model = trained.model
        elbo = negative_elbo(model, x_test, batch_size=batch_size)
        codes = model.encode(x_test, batch_size=batch_size)
        spread = latent_spread(codes)
        rows.append({
            "c": c,
            "reconstruction": elbo["reconstruction"],
            "kl": elbo["kl"],
            "loss": elbo["reconstruction"] + c * elbo["kl"],
            "neg_elbo": elbo["negative_elbo"],
            "z_mean_mean": spread["mean"],
            "z_mean_std": spread["std"],
            "rms_radius": spread["rms_radius"],
            "codes": codes,
        })
    return rows


def format_results_table(rows) -> str:
    """The rows of :func:`evaluate_runs` as a fixed-width text table."""
    header = (f"{'c':>5} | {'recon':>7} {'KL':>6} {'c*KL+recon':>10} {'-ELBO':>7} | "
              f"{'mean z[0]':>9} {'mean z[1]':>9} {'std z[0]':>8} {'std z[1]':>8} {'rms |z|':>8}")
    lines = [header, "-" * len(header)]
    for r in rows:
        m, s = r["z_mean_mean"], r["z_mean_std"]
        lines.append(
            f"{r['c']:>5g} | {r['reconstruction']:7.2f} {r['kl']:6.2f} {r['loss']:10.2f} "
            f"{r['neg_elbo']:7.2f} | {m[0]:9.2f} {m[1]:9.2f} {s[0]:8.2f} {s[1]:8.2f} "
            f"{r['rms_radius']:8.2f}"
        )
    return "\n".join(lines)
