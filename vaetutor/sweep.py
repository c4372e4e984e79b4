"""The KL-coefficient sweep (notebook 03): one MLP VAE per coefficient c, and their results.

Every run trains ``loss = reconstruction + c * KL`` from the same saved initial weights, with
the same sampling seed and the same batches (:func:`~vaetutor.runs.kl_sweep_run`), so that c is
the only difference between them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._files import read_json, write_json_atomically
from .evaluation import negative_elbo
from .published import obtain_run, published_folder
from .runs import KL_WEIGHTS, kl_sweep_run

#: The published sweep's results table, as data (in ``published/``): written once by
#: :func:`write_results` when the sweep is published, read by notebook 03's closing checks and
#: by exercise 03.
RESULTS_FILE = "kl_sweep_results.json"
#: The numbers of one row of :func:`evaluate_runs` that the results file keeps (not the codes).
RESULT_KEYS = ("c", "reconstruction", "kl", "loss", "neg_elbo", "z_mean_mean", "z_mean_std",
               "rms_radius")


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


def write_results(rows, path) -> None:
    """Write the rows of :func:`evaluate_runs` to the JSON file ``path``: the numbers of
    :data:`RESULT_KEYS` (floats, per-dimension lists for the code spread), one object per c,
    with the test set's size (``{"test_images": n, "rows": [...]}``)."""
    table = [{key: np.asarray(row[key], dtype="float64").tolist() for key in RESULT_KEYS}
             for row in rows]
    sizes = {len(row["codes"]) for row in rows if "codes" in row}
    write_json_atomically({"test_images": sizes.pop() if len(sizes) == 1 else None,
                           "rows": table}, path)


def read_results(path=None) -> list[dict]:
    """The rows written by :func:`write_results` (default: ``published/`` 's
    :data:`RESULTS_FILE`), one dict per c with the keys :data:`RESULT_KEYS`, in order of c.

    Raises FileNotFoundError naming the file, or ValueError naming the file and what is
    missing from it.
    """
    path = Path(published_folder() / RESULTS_FILE if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"no KL-sweep results file at {path}; it is written when the "
                                "sweep is published (scripts/publish_runs.py)")
    data = read_json(path, what="the KL sweep's results")
    rows = data.get("rows") if isinstance(data, dict) else None
    if not rows or not isinstance(rows, list):
        raise ValueError(f"{path} should hold {{'rows': [...]}}, one row per KL coefficient; "
                         f"found no rows")
    for i, row in enumerate(rows):
        missing = [key for key in RESULT_KEYS if key not in row]
        if missing:
            raise ValueError(f"{path}: row {i} lacks {missing}; each row needs {list(RESULT_KEYS)}")
    return sorted(rows, key=lambda row: row["c"])


def publish_results(path=None) -> Path:
    """Evaluate the published full-profile sweep on the whole MNIST test set
    (:func:`evaluate_runs`) and write its results table to ``path`` (default: ``published/``
    's :data:`RESULTS_FILE`). Raises ValueError naming a coefficient whose run is not published."""
    from .published import find_published, load_published
    from .runs import load_data

    runs = {}
    for c in KL_WEIGHTS:
        run = kl_sweep_run(c, "full")
        entry, why_not = find_published(run)
        if entry is None:
            raise ValueError(f"the sweep's run for c = {c:g} is not published: {why_not}")
        runs[c] = load_published(run, entry)
    x_test = load_data(kl_sweep_run(1.0, "full")).x_test
    path = Path(published_folder() / RESULTS_FILE if path is None else path)
    write_results(evaluate_runs(runs, x_test), path)
    return path
