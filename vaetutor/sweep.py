"""Train one model per KL coefficient, all from the same start, resumably.

The KL-coefficient sweep trains ``loss = reconstruction + c * KL`` for several ``c``. To make
``c`` the only difference between runs, every run starts from the same initial weights (built
once and saved) and the same sampling seed, and sees the same batches (the shuffling seed is
reset before each run). Each finished run is saved (weights and history) before the next starts,
so an interrupted sweep continues where it stopped and a re-run reuses the finished runs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from ._files import check_or_write_settings, save_weights_atomically, write_json_atomically
from .seeding import seed_everything
from .training import EpochPrinter


@dataclass
class SweepRun:
    """One trained model of the sweep, with its per-epoch history and training time."""

    kl_weight: float
    model: keras.Model
    history: dict
    seconds: float
    reused: bool = False


def run_file_stem(kl_weight: float) -> str:
    """File name stem for a run, e.g. ``kl_0.02`` (``repr`` of the float keeps it exact)."""
    return f"kl_{float(kl_weight)!r}"


def kl_sweep(
    build_model,
    kl_weights,
    x_train,
    *,
    directory,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    validation_data=None,
    retrain: bool = False,
    log_every: int = 0,
):
    """Train ``build_model(kl_weight=c)`` for every ``c`` in ``kl_weights``; return the runs.

    Args:
        build_model: callable ``(kl_weight) -> compiled-free keras.Model`` (e.g. a partial of
            ``build_mlp_vae`` with a fixed sampling ``seed``): called once per run.
        directory: where the initial weights, each run's weights and history, and the sweep's
            settings are kept. Created if missing.
        retrain: train every run again, overwriting its saved weights (the initial weights and
            settings are kept, so the runs still share their start).
        log_every: print an epoch line every this many epochs (0: only one line per run).

    Returns ``{c: SweepRun}`` in the order of ``kl_weights``. Prints one progress line per ``c``.

    Raises ValueError if ``directory`` holds a sweep with different settings (it is never
    overwritten silently: choose another directory or delete it).
    """
    kl_weights = [float(c) for c in kl_weights]
    if len(set(kl_weights)) != len(kl_weights) or any(c < 0 for c in kl_weights):
        raise ValueError(f"kl_weights must be distinct and >= 0; got {kl_weights}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    settings = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                    seed=seed, n_train=int(len(x_train)))
    check_or_write_settings(directory, settings)

    # The shared start: built once, saved, and loaded into every run.
    initial_file = directory / "initial.weights.h5"
    seed_everything(seed)
    template = build_model(kl_weight=0.0)
    template(x_train[:1])
    if initial_file.exists():
        template.load_weights(initial_file)
    else:
        save_weights_atomically(template, initial_file)
    initial_weights = template.get_weights()

    runs = {}
    for c in kl_weights:
        weights_file = directory / f"{run_file_stem(c)}.weights.h5"
        history_file = directory / f"{run_file_stem(c)}.history.json"
        seed_everything(seed)  # the same sampling-seed state for every run
        model = build_model(kl_weight=c)
        model(x_train[:1])
        start = time.perf_counter()
        if weights_file.exists() and history_file.exists() and not retrain:
            model.load_weights(weights_file)
            model.compile(optimizer=keras.optimizers.Adam(learning_rate))
            record = json.loads(history_file.read_text())
            run = SweepRun(c, model, record["history"], record["seconds"], reused=True)
        else:
            model.set_weights(initial_weights)
            model.compile(optimizer=keras.optimizers.Adam(learning_rate))
            seed_everything(seed)  # the same batch order for every run, whatever build_model did
            callbacks = [EpochPrinter(every=log_every, prefix=f"  c={c:g} ")] if log_every else []
            history = model.fit(x_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                                validation_data=validation_data, verbose=0, callbacks=callbacks)
            seconds = time.perf_counter() - start
            record = {"history": history.history, "seconds": seconds}
            save_weights_atomically(model, weights_file)
            write_json_atomically(record, history_file)
            run = SweepRun(c, model, history.history, seconds)
        last = {k: v[-1] for k, v in run.history.items()}
        what = ("reused, trained" if run.reused else "trained") + f" in {run.seconds:.0f} s"
        print(f"c = {c:<5g} {what:>24s}: loss {last['loss']:.2f}, "
              f"reconstruction {last['reconstruction_loss']:.2f}, KL {last['kl_loss']:.2f}",
              flush=True)
        runs[c] = run
    return runs


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
    """Test-set results of each run: one row (a dict) per ``c``, in the order of ``runs``.

    Row keys: ``c``; ``reconstruction`` and ``kl`` (nats per image, means over the test set);
    ``loss`` = reconstruction + c * KL (what that run minimised); ``neg_elbo`` = reconstruction +
    KL (the bound itself, comparable across c); ``z_mean_mean``, ``z_mean_std`` (per latent
    dimension) and ``rms_radius`` of the test codes ``z_mean``; and ``codes``, the codes.
    """
    rows = []
    for c, run in runs.items():
        metrics = run.model.evaluate(x_test, batch_size=batch_size, verbose=0, return_dict=True)
        codes = run.model.encode(x_test, batch_size=batch_size)
        spread = latent_spread(codes)
        rows.append({
            "c": c,
            "reconstruction": metrics["reconstruction_loss"],
            "kl": metrics["kl_loss"],
            "loss": metrics["loss"],
            "neg_elbo": metrics["reconstruction_loss"] + metrics["kl_loss"],
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
