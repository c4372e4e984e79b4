"""Training with snapshots, the reuse of a finished run, and the history table."""

import os
import time

import numpy as np
import pytest

from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
from vaetutor.data import ImageDataset
from vaetutor.snapshots import load_snapshots, train_with_snapshots
from vaetutor.training import build_and_train, format_history


def tiny_dataset():
    rng = np.random.default_rng(0)
    images = lambda n: (rng.uniform(size=(n, 28, 28, 1)) ** 4).astype("float32")  # noqa: E731
    return ImageDataset("tiny", images(64), rng.integers(0, 3, 64), images(30),
                        rng.integers(0, 3, 30), ("a", "b", "c"))


@pytest.mark.parametrize("builder", [build_conv_vae, build_conv_mmd_vae], ids=["vae", "mmd"])
def test_snapshots_before_training_every_k_epochs_and_after_the_last(tmp_path, builder):
    data = tiny_dataset()
    settings = dict(learning_rate=1e-3, epochs=3, batch_size=32, seed=5, snapshot_every=2)
    model, history, snapshots = train_with_snapshots(lambda: builder(seed=5), data, tmp_path,
                                                     **settings)
    assert list(snapshots) == [0, 2, 3]
    for frame in snapshots.values():
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    # the untrained and the trained model do not draw the same picture
    assert not np.array_equal(snapshots[0], snapshots[3])
    assert len(history["loss"]) == 3 and len(history["val_loss"]) == 3
    assert sorted(p.name for p in tmp_path.glob("snapshot_*")) == [
        "snapshot_0000.npy", "snapshot_0002.npy", "snapshot_0003.npy"]


def test_a_finished_run_is_reloaded_not_retrained(tmp_path):
    data = tiny_dataset()
    settings = dict(learning_rate=1e-3, epochs=2, batch_size=32, seed=5, snapshot_every=1)
    first, first_history, first_snapshots = train_with_snapshots(
        lambda: build_conv_vae(seed=5), data, tmp_path, **settings)
    stamps = {p.name: os.stat(p).st_mtime_ns for p in tmp_path.iterdir()}
    time.sleep(0.01)
    again, again_history, again_snapshots = train_with_snapshots(
        lambda: build_conv_vae(seed=5), data, tmp_path, **settings)
    assert {p.name: os.stat(p).st_mtime_ns for p in tmp_path.iterdir()} == stamps  # nothing written
    assert again_history == first_history
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    for epoch, frame in first_snapshots.items():
        np.testing.assert_array_equal(frame, again_snapshots[epoch])


def test_a_run_with_another_learning_rate_or_model_is_refused(tmp_path):
    x = tiny_dataset().x_train
    common = dict(directory=tmp_path, epochs=1, batch_size=32, seed=0, log_every=0)
    build_and_train(lambda: build_conv_vae(seed=0), x, learning_rate=1e-3, **common)
    with pytest.raises(ValueError, match="learning_rate"):
        build_and_train(lambda: build_conv_vae(seed=0), x, learning_rate=1e-4, **common)
    with pytest.raises(ValueError, match="conv_mmd_vae"):
        build_and_train(lambda: build_conv_mmd_vae(seed=0), x, learning_rate=1e-3, **common)


def test_load_snapshots_ignores_unfinished_files(tmp_path):
    np.save(tmp_path / "snapshot_0010.npy", np.ones((2, 2, 3), np.uint8))
    np.save(tmp_path / "snapshot_0002.npy", np.zeros((2, 2, 3), np.uint8))
    np.save(tmp_path / "snapshot_0020.partial.npy", np.zeros((2, 2, 3), np.uint8))
    snapshots = load_snapshots(tmp_path)
    assert list(snapshots) == [2, 10] and snapshots[10].sum() == 12


def test_snapshot_every_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match="snapshot_every"):
        train_with_snapshots(build_conv_vae, tiny_dataset(), tmp_path, learning_rate=1e-3,
                             epochs=1, batch_size=32, seed=0, snapshot_every=0)


def test_history_table_rows_and_values():
    history = {"val_loss": [9.0, 8.0, 7.0, 6.0, 5.0], "loss": [5.5, 4.25, 3.0, 2.0, 1.0],
               "mmd_loss": [0.5, 0.25, 0.125, 0.0625, 0.001]}
    lines = format_history(history, every=2).splitlines()
    assert lines[0].split() == ["epoch", "loss", "mmd", "val_loss"]
    rows = [line.split() for line in lines[1:]]
    assert [int(r[0]) for r in rows] == [1, 2, 4, 5]  # the first, every 2nd, the last
    assert rows[1] == ["2", "4.25", "0.2500", "8.00"]  # small values: four decimals per column
    assert rows[-1] == ["5", "1.00", "0.0010", "5.00"]


def test_history_table_rejects_ragged_histories():
    with pytest.raises(ValueError, match="one value per epoch"):
        format_history({"loss": [1.0, 2.0], "val_loss": [1.0]})
