"""The training engine: one way to train every model of the series, resumably.

A run (:class:`~vaetutor.settings.Run`, plain settings; the series' runs are in
:mod:`vaetutor.runs`) is trained by :func:`train` in a folder of its own:

- ``settings.json``: the run's settings; a folder holding another run's are refused;
- ``epoch_NNNN.weights.h5`` (+ ``.seeds.json``): a checkpoint after every epoch (weights,
  optimiser state, the sampling noise's seed state), the newest two kept; training resumes from
  the newest complete one, and a damaged one is set aside (renamed ``.damaged``) for the one
  before it;
- ``history.json``: per-epoch metrics and seconds;
- ``snapshot_NNNN.weights.h5`` every ``run.snapshot_every`` epochs, ``final.weights.h5`` at the
  end (model weights only).

Each epoch's batches come from :func:`epoch_order`, a function of ``(seed, epoch)`` only, so an
interrupted and resumed run ends with the weights an uninterrupted one would have (on the same
machine). :func:`open_run` opens a finished run (its model with the final weights, and its
history); :func:`vaetutor.published.obtain_run` puts published weights in front of this. The
speed-ups of :mod:`vaetutor.speed` are applied here, when the engine compiles and fits a model;
the models themselves are plain Keras.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from . import runs
from ._files import check_or_write_settings, read_json, save_model_weights, write_json_atomically
from .data import TRAIN_IMAGES, check_images
from .speed import compile_for_training, transposed_convolutions_as_matmul

_SHORT = {"reconstruction_loss": "recon", "kl_loss": "kl", "mmd_loss": "mmd"}


def format_epoch_line(epoch: int, epochs: int, seconds: float, logs: dict) -> str:
    """``epoch  k/n  t s  metric value ... | val metric value ...`` (``epoch`` counts from 1)."""
    train = [f"{_SHORT.get(k, k)} {v:.2f}" for k, v in logs.items()
             if not k.startswith("val_") and k != "learning_rate"]
    val = [f"{_SHORT.get(k[4:], k[4:])} {v:.2f}" for k, v in logs.items() if k.startswith("val_")]
    line = f"epoch {epoch:>3}/{epochs}  {seconds:5.1f}s  " + "  ".join(train)
    return line + ("  | val " + "  ".join(val) if val else "")


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


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: training stopped at that batch, nothing was saved from it.

    ``epoch`` (from 1) and ``batch`` (from 1, within the epoch) say where: the loss is checked
    after each call into the compiled step, which runs several batches (:mod:`vaetutor.speed`),
    so ``batch`` is the last of that call (the exact batch when ``train`` has an
    ``on_batch_end`` hook, one batch a call); ``steps`` counts the batches trained in all. The
    checkpoints of the epochs before stay.
    """

    def __init__(self, run_name: str, epoch: int, batch: int, steps: int, value: float):
        self.epoch, self.batch, self.steps, self.value = epoch, batch, steps, value
        super().__init__(f"run {run_name!r}: the loss became {value} in epoch {epoch}, by "
                         f"batch {batch} (step {steps}); training stopped there and nothing of "
                         "that epoch was saved")


class _EveryBatch(keras.callbacks.Callback):
    """Call ``hook(step, model, logs)`` after every batch; ``step`` counts batches from 1 over
    the whole run (``first_step`` is the count before this epoch)."""

    def __init__(self, hook, first_step: int):
        super().__init__()
        self.hook, self.first_step = hook, first_step

    def on_train_batch_end(self, batch, logs=None):
        self.hook(self.first_step + batch + 1, self.model, dict(logs or {}))


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop ``fit`` at the first batch whose running loss is NaN or infinite (as Keras'
    ``TerminateOnNaN`` does), and remember which batch it was."""

    def __init__(self):
        super().__init__()
        self.batch = None
        self.value = None

    def on_train_batch_end(self, batch, logs=None):
        value = float((logs or {}).get("loss", 0.0))
        if self.batch is None and not np.isfinite(value):
            self.batch, self.value = batch + 1, value
            self.model.stop_training = True


_CHECKPOINT = re.compile(r"^epoch_(\d+)\.weights\.h5$")
FINAL = "final.weights.h5"
HISTORY = "history.json"


@dataclass
class TrainedRun:
    """A trained model with its run, per-epoch history and where it came from.

    ``history`` maps metric names to per-epoch lists (as ``keras.callbacks.History``);
    ``epoch_seconds`` is the wall time of each epoch; ``source`` is ``"trained"`` (here, now),
    ``"resumed"`` (here, continuing earlier checkpoints), ``"local"`` (finished here before) or
    ``"published"``; ``info`` is the published run's manifest entry.
    """

    run: object
    model: keras.Model
    history: dict
    epoch_seconds: list
    source: str
    directory: Path | None = None
    info: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Total training time in seconds (the sum of the epochs' times)."""
        return float(sum(self.epoch_seconds))

    def snapshot_file(self, epoch: int) -> Path:
        """The weights file kept at ``epoch`` (a multiple of ``run.snapshot_every``)."""
        if epoch not in self.run.snapshot_epochs():
            raise ValueError(f"run {self.run.name!r} keeps weights at epochs "
                             f"{self.run.snapshot_epochs()}, not at {epoch!r}")
        return self.directory / f"snapshot_{epoch:04d}.weights.h5"


def latest_checkpoint(directory) -> tuple[int, Path | None]:
    """``(epoch, path)`` of the newest checkpoint in ``directory``; ``(0, None)`` if none."""
    found = [(int(m.group(1)), p) for p in Path(directory).glob("epoch_*.weights.h5")
             if (m := _CHECKPOINT.match(p.name))]
    return max(found) if found else (0, None)


def readable_weights_file(path) -> str | None:
    """``None`` if ``path`` is a complete HDF5 weights file, else why not (one line)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            f.visit(lambda name: f[name].shape if isinstance(f[name], h5py.Dataset) else None)
    except Exception as err:  # noqa: BLE001 - h5py raises OSError, KeyError, RuntimeError...
        return f"{type(err).__name__}: {err}"
    return None


def read_history(directory) -> tuple[dict, list]:
    """``(metrics, epoch_seconds)`` recorded in ``directory/history.json`` (empty if none)."""
    path = Path(directory) / HISTORY
    if not path.exists():
        return {}, []
    record = read_json(path, what="a training history")
    if not isinstance(record, dict) or not {"metrics", "epoch_seconds"} <= set(record):
        raise ValueError(f"{path} is not a training history (expected the keys 'metrics' and "
                         "'epoch_seconds'); delete it, and the checkpoints, to train again")
    return record["metrics"], record["epoch_seconds"]


def _resume(model, directory, x_first) -> int:
    """Load the newest readable checkpoint of ``directory`` into ``model``; its epoch (0: none).

    A checkpoint that cannot be read (a truncated file after a crash) is renamed
    ``*.damaged`` — never deleted — and the one before it is used, with a printed note.
    """
    while True:
        done, path = latest_checkpoint(directory)
        if path is None:
            return 0
        problem = readable_weights_file(path)
        if problem is None:
            break
        aside = path.with_name(path.name + ".damaged")
        path.replace(aside)
        print(f"checkpoint {path} cannot be read ({problem}); set aside as {aside.name}, "
              "resuming from the one before it", flush=True)
    model(x_first)
    model.optimizer.build(model.trainable_variables)
    model.load_weights(path)
    seeds_file = path.with_name(path.name.replace(".weights.h5", ".seeds.json"))
    _restore_seed_generator_states(model, read_json(seeds_file, what="seed-generator states"))
    return done


def load_shared_start(run, model, directory: Path, x_first) -> None:
    """Runs that share ``run.start`` begin from the same weights, saved by the first of them."""
    if run.start is None:
        return
    start_file = directory.parent / f"{run.start}.weights.h5"
    model(x_first)
    if start_file.exists():
        problem = readable_weights_file(start_file)
        if problem:
            raise ValueError(f"the shared start {start_file} cannot be read ({problem}); "
                             "delete it and every run that started from it to train afresh")
        model.load_weights(start_file)
    else:
        save_model_weights(model, start_file)


def compile_for_run(model, run, *, one_batch_per_call: bool = False) -> None:
    """Compile ``model`` as ``run`` trains it: Adam with ``run.learning_rate`` (and, for the
    classifier, its loss and accuracy: :func:`vaetutor.runs.compile_arguments`), with the
    engine's speed-ups (:func:`vaetutor.speed.compile_for_training`); a built model's optimizer
    is built too (so that a model saved before any training reloads cleanly).
    ``one_batch_per_call``: one batch per call into the compiled step instead of several (the
    same updates, slower; what a per-batch hook needs)."""
    extra = dict(steps_per_execution=1) if one_batch_per_call else {}
    compile_for_training(model, keras.optimizers.Adam(run.learning_rate),
                         **runs.compile_arguments(run), **extra)
    if model.built:
        model.optimizer.build(model.trainable_variables)


def model_with_weights(run, weights_file=None):
    """``run``'s model, built (on one image of zeros) and, given ``weights_file``, holding the
    weights stored there. Every model the package reloads is made by this function."""
    model = runs.build_model(run)
    model(np.zeros((1, *runs.input_shape(run)), "float32"))
    if weights_file is not None:
        model.load_weights(weights_file)
    return model


def open_run(run, directory, *, source: str = "local", info: dict | None = None,
             weights_file=None) -> TrainedRun:
    """The finished ``run`` kept in ``directory``: its model with the final weights (or
    ``weights_file``), compiled as it was trained, and its history. ``source`` and ``info``
    say where it came from (:class:`TrainedRun`). A ``settings.json`` in ``directory`` (a run
    trained here) must hold ``run``'s settings: another run's folder is refused, naming what
    differs."""
    directory = Path(directory)
    if (directory / "settings.json").exists():
        check_or_write_settings(directory, run.settings())
    model = model_with_weights(run, weights_file or directory / FINAL)
    compile_for_run(model, run)
    history, seconds = read_history(directory)
    return TrainedRun(run, model, history, seconds, source, directory, info or {})


def train(run, data=None, *, directory, model=None, log_every: int = 1,
          until_epoch: int | None = None, on_epoch_end=None, on_batch_end=None) -> TrainedRun:
    """Train ``run`` in ``directory``, resuming from its checkpoints; return the trained run.

    Builds the model (:func:`vaetutor.runs.build_model`, seeded by ``run.seed``; or uses
    ``model``, built by the caller from the same run), compiles it (:func:`compile_for_run`,
    with the speed-ups) and trains it epoch by epoch on :func:`vaetutor.runs.fit_data` of
    ``data`` (default :func:`vaetutor.runs.load_data`): the images, or (image, class) pairs for
    the classifier, with the test set as validation data when ``run.validate``. A finished run
    in ``directory`` is opened (:func:`open_run`), not trained again.

    Args:
        log_every: print an epoch line every this many epochs and after the last (0: never).
        until_epoch: stop after this epoch (to train part of a run now, the rest later).
        on_epoch_end: optional ``f(epoch, model, logs)`` after each epoch's checkpoint.
        on_batch_end: optional ``f(step, model, logs)`` after every batch (``step`` from 1
            over the run; ``logs`` the epoch's running means so far). The compiled step then
            runs one batch per call: the same updates, more slowly, and a NaN is located to
            its exact batch.

    A model with a ``begin_epoch(epoch)`` method (the VAE's KL warm-up) has it called before
    each epoch. A loss that becomes NaN or infinite stops training at that batch with
    :class:`TrainingDiverged` (the checkpoints before it are kept). Raises ValueError if ``directory`` holds a run with other settings, or if ``data`` does not
    have the run's number of training images.
    """
    data = runs.load_data(run) if data is None else data
    expected = TRAIN_IMAGES if run.train_size is None else run.train_size
    if len(data.x_train) != expected:
        raise ValueError(f"run {run.name!r} trains on {expected} images; data.x_train has "
                         f"{len(data.x_train)}: pass vaetutor.runs.load_data(run), or nothing")
    x, y, validation = runs.fit_data(run, data)
    x = check_images(x, name=f"{run.name}: x_train")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    check_or_write_settings(directory, run.settings())

    history, seconds = read_history(directory)
    if model is None and (directory / FINAL).exists() and len(seconds) == run.epochs:
        return open_run(run, directory)
    model = runs.build_model(run) if model is None else model
    load_shared_start(run, model, directory, x[:1])
    compile_for_run(model, run, one_batch_per_call=on_batch_end is not None)

    done = _resume(model, directory, x[:1])
    history = {k: v[:done] for k, v in history.items()}
    seconds = seconds[:done]
    if done and log_every:
        print(f"{run.name}: resumed after epoch {done} of {run.epochs}", flush=True)
    last = run.epochs if until_epoch is None else min(run.epochs, until_epoch)
    for epoch in range(done, last):
        start = time.perf_counter()
        order = epoch_order(len(x), run.seed, epoch)
        if hasattr(model, "begin_epoch"):  # a loss that changes over training (KL warm-up)
            model.begin_epoch(epoch)
        guard = _StopOnNonFiniteLoss()
        batches = -(-len(x) // run.batch_size)
        hooks = [] if on_batch_end is None else [_EveryBatch(on_batch_end, epoch * batches)]
        with transposed_convolutions_as_matmul(model):
            result = model.fit(x[order], None if y is None else y[order],
                               batch_size=run.batch_size, epochs=epoch + 1, initial_epoch=epoch,
                               shuffle=False, validation_data=validation, verbose=0,
                               callbacks=[*hooks, guard])
        if guard.batch is not None:  # Keras reports the last batch of a call of several
            guard.batch = min(guard.batch, batches)
            steps = epoch * batches + guard.batch
            raise TrainingDiverged(run.name, epoch + 1, guard.batch, steps, guard.value)
        logs = {k: float(v[-1]) for k, v in result.history.items()}
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        seconds.append(time.perf_counter() - start)
        # seeds and history first: a weights file present means its checkpoint is complete
        stem = directory / f"epoch_{epoch + 1:04d}"
        write_json_atomically(_seed_generator_states(model), Path(f"{stem}.seeds.json"))
        write_json_atomically({"metrics": history, "epoch_seconds": seconds},
                              directory / HISTORY)
        save_model_weights(model, Path(f"{stem}.weights.h5"), with_optimizer=True)
        if epoch + 1 in run.snapshot_epochs():
            save_model_weights(model, directory / f"snapshot_{epoch + 1:04d}.weights.h5")
        for _, old in sorted((int(m.group(1)), p) for p in directory.glob("epoch_*.weights.h5")
                             if (m := _CHECKPOINT.match(p.name)))[:-2]:
            old.unlink()
            old.with_name(old.name.replace(".weights.h5", ".seeds.json")).unlink(missing_ok=True)
        if log_every and ((epoch + 1) % log_every == 0 or epoch + 1 == run.epochs):
            print(format_epoch_line(epoch + 1, run.epochs, seconds[-1], logs), flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, logs)
    if last == run.epochs:
        save_model_weights(model, directory / FINAL)
    return TrainedRun(run, model, history, seconds, "resumed" if done else "trained", directory)


def format_history(history: dict, every: int = 1) -> str:
    """A table of a training history: one row every ``every`` epochs (and the last one).

    ``history`` maps metric names to per-epoch lists, as :func:`train` records
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
