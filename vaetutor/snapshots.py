"""Training with snapshot pictures: how samples, codes and the decoded grid change over epochs."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .plots import figure_to_array, plot_training_snapshot
from .seeding import seed_everything
from .training import build_and_train

_SNAPSHOT = re.compile(r"snapshot_(\d+)\.npy$")


def load_snapshots(directory) -> dict[int, np.ndarray]:
    """``{epoch: RGB frame (h, w, 3) uint8}`` of the snapshots saved in ``directory``, by epoch."""
    found = {int(m.group(1)): p for p in Path(directory).glob("snapshot_*.npy")
             if (m := _SNAPSHOT.search(p.name))}
    return {epoch: np.load(found[epoch]) for epoch in sorted(found)}


def train_with_snapshots(build_model, data, directory, *, learning_rate, epochs, batch_size, seed,
                         snapshot_every, log_every=0):
    """Train (or resume, or reload) a model with :func:`~vaetutor.training.build_and_train`,
    saving a :func:`~vaetutor.plots.plot_training_snapshot` picture before training (epoch 0),
    every ``snapshot_every`` epochs and after the last epoch.

    ``data`` is an :class:`~vaetutor.data.ImageDataset`: the model trains on ``x_train``, is
    validated on ``x_test`` after each epoch, and the snapshots show the test set. Each picture
    is saved as ``snapshot_NNNN.npy`` next to the checkpoints, so a resumed run keeps the
    pictures of the epochs before the interruption.

    Returns ``(model, history, snapshots)`` with ``snapshots`` as :func:`load_snapshots` gives.
    """
    if not isinstance(snapshot_every, int) or snapshot_every < 1:
        raise ValueError(f"snapshot_every must be a positive integer; got {snapshot_every!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def snapshot(epoch, model, logs=None):
        if epoch % snapshot_every and epoch != epochs:
            return
        fig = plot_training_snapshot(model, data.x_test, data.y_test, data.class_names, epoch)
        frame = figure_to_array(fig)
        plt.close(fig)
        partial = directory / f"snapshot_{epoch:04d}.partial.npy"
        np.save(partial, frame)
        partial.replace(directory / f"snapshot_{epoch:04d}.npy")

    if not (directory / "snapshot_0000.npy").exists():
        seed_everything(seed)
        snapshot(0, build_model())
    model, history = build_and_train(
        build_model, data.x_train, directory=directory, learning_rate=learning_rate,
        epochs=epochs, batch_size=batch_size, seed=seed, validation_data=(data.x_test,),
        on_epoch_end=snapshot, log_every=log_every,
    )
    return model, history, load_snapshots(directory)
