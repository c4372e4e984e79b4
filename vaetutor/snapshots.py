"""Pictures of training: the model at epoch 0, at each snapshot epoch, and at the end."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from .plots import figure_to_array, plot_training_snapshot
from .training import model_with_weights


def snapshot_models(trained) -> dict:
    """``{epoch: model}`` of a :class:`~vaetutor.training.TrainedRun` with snapshots.

    Epoch 0 is the untrained model (built again from the run's seed: the same initial weights
    the run started from, unless it shares a saved start), the epochs of
    ``run.snapshot_epochs()`` load the weights kept then, and the last epoch is the model itself.
    """
    run = trained.run
    models = {0: model_with_weights(run)}
    for epoch in run.snapshot_epochs():
        models[epoch] = model_with_weights(run, trained.snapshot_file(epoch))
    models[run.epochs] = trained.model
    return models


def snapshot_frames(trained, data, font_size=15) -> dict[int, np.ndarray]:
    """``{epoch: RGB frame (h, w, 3) uint8}``: :func:`~vaetutor.plots.plot_training_snapshot`
    of each of :func:`snapshot_models` on ``data``'s test set, rendered at 60 dpi (a frame
    1020 pixels wide) with text at ``font_size`` points (12 pixels high) so that it stays
    readable in an animation."""
    frames = {}
    for epoch, model in snapshot_models(trained).items():
        with plt.rc_context({"font.size": font_size}):
            fig = plot_training_snapshot(model, data.x_test, data.y_test, data.class_names, epoch)
            frames[epoch] = figure_to_array(fig, dpi=60)
        plt.close(fig)
    return frames
