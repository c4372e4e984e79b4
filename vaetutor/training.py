"""A compact training log: one line per reported epoch instead of a progress bar."""

from __future__ import annotations

import time

import keras


class EpochPrinter(keras.callbacks.Callback):
    """Print ``epoch k/n``, the epoch's time and its metrics, every ``every`` epochs.

    The last epoch is always printed. Metric names are shortened for the line
    (``reconstruction_loss`` -> ``recon``, ``kl_loss`` -> ``kl``); validation metrics follow a
    ``|``. Use with ``fit(..., verbose=0)``.
    """

    SHORT = {"reconstruction_loss": "recon", "kl_loss": "kl"}

    def __init__(self, every: int = 1, prefix: str = ""):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer; got {every!r}")
        self.every = every
        self.prefix = prefix

    def on_train_begin(self, logs=None):
        self._train_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        epochs = self.params.get("epochs", epoch + 1)
        if (epoch + 1) % self.every and epoch + 1 != epochs:
            return
        logs = logs or {}
        train = [f"{self.SHORT.get(k, k)} {v:.2f}" for k, v in logs.items()
                 if not k.startswith("val_") and k != "learning_rate"]
        val = [f"{self.SHORT.get(k[4:], k[4:])} {v:.2f}" for k, v in logs.items()
               if k.startswith("val_")]
        line = f"{self.prefix}epoch {epoch + 1:>3}/{epochs}  {time.perf_counter() - self._epoch_start:5.1f}s  "
        line += "  ".join(train) + ("  | val " + "  ".join(val) if val else "")
        print(line, flush=True)
