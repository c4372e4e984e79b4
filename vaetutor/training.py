"""Training helpers: a one-line-per-epoch log, and resumable training with checkpoints."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import keras
import numpy as np

from ._files import check_or_write_settings, save_weights_atomically, write_json_atomically

_SHORT = {"reconstruction_loss": "recon", "kl_loss": "kl", "mmd_loss": "mmd"}


def format_epoch_line(epoch: int, epochs: int, seconds: float, logs: dict, prefix="") -> str:
    """``epoch  k/n  t s  metric value ... | val metric value ...`` (``epoch`` counts from 1)."""
    train = [f"{_SHORT.get(k, k)} {v:.2f}" for k, v in logs.items()
             if not k.startswith("val_") and k != "learning_rate"]
    val = [f"{_SHORT.get(k[4:], k[4:])} {v:.2f}" for k, v in logs.items() if k.startswith("val_")]
    line = f"{prefix}epoch {epoch:>3}/{epochs}  {seconds:5.1f}s  " + "  ".join(train)
    return line + ("  | val " + "  ".join(val) if val else "")


class EpochPrinter(keras.callbacks.Callback):
    """Print one :func:`format_epoch_line` every ``every`` epochs (and after the last one).

    Use with ``fit(..., verbose=0)``.
    """

    def __init__(self, every: int = 1, prefix: str = ""):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer; got {every!r}")
        self.every = every
        self.prefix = prefix

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        epochs = self.params.get("epochs", epoch + 1)
        if (epoch + 1) % self.every and epoch + 1 != epochs:
            return
        seconds = time.perf_counter() - self._epoch_start
        print(format_epoch_line(epoch + 1, epochs, seconds, logs or {}, self.prefix), flush=True)


_CHECKPOINT = re.compile(r"epoch_(\d+)\.weights\.h5$")


def latest_checkpoint(directory) -> tuple[int, Path | None]:
    """``(epoch, path)`` of the newest complete checkpoint in ``directory``; ``(0, None)`` if none."""
    found = [(int(m.group(1)), p) for p in Path(directory).glob("epoch_*.weights.h5")
             if (m := _CHECKPOINT.search(p.name))]
    return max(found) if found else (0, None)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled order of ``n`` examples for ``epoch``: a function of ``(seed, epoch)`` only.

    Because the order does not depend on what ran before, a resumed run sees exactly the batches
    an uninterrupted one would have seen.
    """
    return np.random.default_rng([seed, epoch]).permutation(n)


def _seed_generator_variables(model) -> list:
    return [v for v in model.non_trainable_variables if v.name == "seed_generator_state"]


def _seed_generator_states(model) -> list:
    """The state of every ``keras.random.SeedGenerator`` in ``model``, in a fixed order.

    ``save_weights`` does not store these, and without them a resumed run would draw different
    noise for the reparameterisation trick than an uninterrupted one.
    """
    return [keras.ops.convert_to_numpy(v).tolist() for v in _seed_generator_variables(model)]


def _restore_seed_generator_states(model, states: list) -> None:
    variables = _seed_generator_variables(model)
    if len(variables) != len(states):
        raise ValueError(f"checkpoint has {len(states)} seed-generator states; "
                         f"the model has {len(variables)}: is it the same architecture?")
    for variable, value in zip(variables, states):
        variable.assign(np.asarray(value, dtype=variable.dtype))


def train_with_checkpoints(
    model,
    x,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    directory,
    validation_data=None,
    on_epoch_end=None,
    keep: int = 2,
    log_every: int = 1,
    settings: dict | None = None,
):
    """Train a compiled ``model`` on ``x``, saving a checkpoint after every epoch; resume if any.

    If ``directory`` holds checkpoints, the newest is loaded (weights, optimizer state and the
    sampling seed's state) and training continues from the epoch after it; a finished run
    returns at once. Each epoch shuffles with :func:`epoch_order`, so an interrupted and resumed
    run ends with the same weights as an uninterrupted one (on the same machine). The ``keep``
    newest checkpoints are kept, older ones deleted.

    Args:
        on_epoch_end: optional ``f(epoch, model, logs)`` called after each epoch's checkpoint
            (``epoch`` counts from 1), e.g. to draw snapshots.
        log_every: print an epoch line every this many epochs (0: never).
        settings: further settings to record with the run (learning rate, model name...): a
            folder holding a run with other values is refused, never mixed or overwritten.

    Returns the per-epoch history of the whole run, including epochs trained before a resume.
    Raises ValueError if ``directory`` holds a run with other settings.
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError("compile the model (with its optimizer) before training it")
    if keep < 1:
        raise ValueError(f"keep must be at least 1; got {keep}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    check_or_write_settings(
        directory, dict(batch_size=batch_size, seed=seed, n_train=len(x), **(settings or {})))
    history_file = directory / "history.json"
    history: dict = {}
    done, path = latest_checkpoint(directory)
    if path is not None:
        model(x[:1])
        model.optimizer.build(model.trainable_variables)
        model.load_weights(path)
        seeds_file = path.with_name(path.name.replace(".weights.h5", ".seeds.json"))
        _restore_seed_generator_states(model, json.loads(seeds_file.read_text()))
        history = {k: v[:done] for k, v in json.loads(history_file.read_text()).items()}
        if log_every:
            print(f"resumed from {path.name}: {done} of {epochs} epochs done", flush=True)
    for epoch in range(done, epochs):
        start = time.perf_counter()
        order = epoch_order(len(x), seed, epoch)
        result = model.fit(x[order], batch_size=batch_size, epochs=epoch + 1, initial_epoch=epoch,
                           shuffle=False, validation_data=validation_data, verbose=0)
        logs = {k: float(v[-1]) for k, v in result.history.items()}
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        # seeds and history first: a weights file present means its checkpoint is complete
        stem = directory / f"epoch_{epoch + 1:04d}"
        write_json_atomically(_seed_generator_states(model), Path(f"{stem}.seeds.json"))
        write_json_atomically(history, history_file)
        save_weights_atomically(model, Path(f"{stem}.weights.h5"))
        for _, old in sorted((int(_CHECKPOINT.search(p.name).group(1)), p)
                             for p in directory.glob("epoch_*.weights.h5"))[:-keep]:
            old.unlink()
            old.with_name(old.name.replace(".weights.h5", ".seeds.json")).unlink(missing_ok=True)
        if log_every and ((epoch + 1) % log_every == 0 or epoch + 1 == epochs):
            print(format_epoch_line(epoch + 1, epochs, time.perf_counter() - start, logs),
                  flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, logs)
    return history


def build_and_train(build_model, x, *, directory, learning_rate, epochs, batch_size, seed,
                    validation_data=None, on_epoch_end=None, log_every=1):
    """Seed, build, compile (Adam) and :func:`train_with_checkpoints`; return ``(model, history)``.

    Calling it again with the same ``directory`` resumes the run, or returns the finished model
    at once — which is how one notebook reuses a model another notebook trained.
    """
    from .seeding import seed_everything

    seed_everything(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    history = train_with_checkpoints(
        model, x, epochs=epochs, batch_size=batch_size, seed=seed, directory=directory,
        validation_data=validation_data, on_epoch_end=on_epoch_end, log_every=log_every,
        settings=dict(model=model.name, learning_rate=learning_rate),
    )
    return model, history


def format_history(history: dict, every: int = 1) -> str:
    """A table of a training history: one row every ``every`` epochs (and the last one).

    ``history`` maps metric names to per-epoch lists, as :func:`train_with_checkpoints` returns
    it; validation metrics (``val_...``) follow the training ones, and long names are shortened
    as in :func:`format_epoch_line`. The table is the same whether
    the run was trained now or loaded from its checkpoints.
    """
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer; got {every!r}")
    names = [k for k in history if not k.startswith("val_")] + \
            [k for k in history if k.startswith("val_")]
    lengths = {len(v) for v in history.values()}
    if len(lengths) != 1:
        raise ValueError(f"every metric needs one value per epoch; got lengths {sorted(lengths)}")
    (n,) = lengths
    # two decimals for columns in nats; four for columns whose values are all small (MSE, MMD)
    decimals = {k: 2 if max(abs(v) for v in history[k]) >= 1 else 4 for k in names}
    headers = [("val_" if k.startswith("val_") else "") + _SHORT.get(k.removeprefix("val_"),
                                                                     k.removeprefix("val_"))
               for k in names]
    width = max(9, *(len(h) for h in headers))
    lines = ["epoch " + " ".join(f"{h:>{width}}" for h in headers)]
    for epoch in range(1, n + 1):
        if epoch % every == 0 or epoch in (1, n):
            lines.append(f"{epoch:>5} " + " ".join(
                f"{history[k][epoch - 1]:>{width}.{decimals[k]}f}" for k in names))
    return "\n".join(lines)
