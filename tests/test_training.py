"""The training engine: resumable runs, their folders, shared starts, snapshots, histories."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from vaetutor.data import ImageDataset
from vaetutor.runs import build_model
from vaetutor.settings import Run
from vaetutor.snapshots import snapshot_frames, snapshot_models
from vaetutor.training import (
    epoch_order,
    format_history,
    latest_checkpoint,
    model_with_weights,
    open_run,
    read_history,
    readable_weights_file,
    train,
)


def assert_same_weights(a, b):
    a, b = a.get_weights(), b.get_weights()
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def files_and_bytes(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def whole(tiny_run, tiny_flat_data, tmp_path_factory):
    """``tiny_run`` trained in one go (3 epochs)."""
    return train(tiny_run, tiny_flat_data, directory=tmp_path_factory.mktemp("whole"),
                 log_every=0)


def test_a_finished_run_has_its_history_and_the_last_two_checkpoints(whole, tiny_run):
    assert whole.source == "trained" and len(whole.epoch_seconds) == tiny_run.epochs
    assert set(whole.history) == {"loss", "reconstruction_loss", "kl_loss",
                                  "val_loss", "val_reconstruction_loss", "val_kl_loss"}
    assert all(len(v) == tiny_run.epochs for v in whole.history.values())
    assert read_history(whole.directory) == (whole.history, whole.epoch_seconds)
    assert sorted(p.name for p in whole.directory.glob("epoch_*.weights.h5")) == [
        "epoch_0002.weights.h5", "epoch_0003.weights.h5"]
    assert latest_checkpoint(whole.directory) == (3, whole.directory / "epoch_0003.weights.h5")
    assert json.loads((whole.directory / "settings.json").read_text()) == json.loads(
        json.dumps(tiny_run.settings()))


def test_an_interrupted_and_resumed_run_ends_as_an_uninterrupted_one(
        whole, tiny_run, tiny_flat_data, tmp_path, capsys):
    part = train(tiny_run, tiny_flat_data, directory=tmp_path, until_epoch=1, log_every=0)
    assert len(part.epoch_seconds) == 1 and not (tmp_path / "final.weights.h5").exists()
    resumed = train(tiny_run, tiny_flat_data, directory=tmp_path)  # as a new process would
    assert resumed.source == "resumed"
    assert "tiny_mlp: resumed after epoch 1 of 3" in capsys.readouterr().out
    assert_same_weights(resumed.model, whole.model)
    assert resumed.history == whole.history
    assert read_history(tmp_path)[0] == whole.history


def test_a_finished_run_is_loaded_not_trained_again(whole, tiny_run, tiny_flat_data):
    before = files_and_bytes(whole.directory)
    calls = []
    again = train(tiny_run, tiny_flat_data, directory=whole.directory,
                  on_epoch_end=lambda *args: calls.append(args))
    assert again.source == "local" and calls == []
    assert_same_weights(again.model, whole.model)
    assert again.history == whole.history and again.epoch_seconds == whole.epoch_seconds
    assert files_and_bytes(whole.directory) == before  # nothing written


@pytest.mark.parametrize("change, named", [
    (dict(learning_rate=1e-4), "learning_rate: 0.001 there, 0.0001 here"),
    (dict(epochs=5), "epochs: 3 there, 5 here"),
    (dict(model_args=dict(latent_dim=2, seed=0, hidden_units=[16])), "model_args"),
])
def test_a_folder_with_another_runs_settings_is_refused(whole, tiny_run, tiny_flat_data,
                                                        change, named):
    before = files_and_bytes(whole.directory)
    other = dataclasses.replace(tiny_run, **change)
    with pytest.raises(ValueError, match="other settings") as err:
        train(other, tiny_flat_data, directory=whole.directory, log_every=0)
    assert named in str(err.value) and str(whole.directory) in str(err.value)
    assert files_and_bytes(whole.directory) == before


def test_a_truncated_newest_checkpoint_is_set_aside_and_the_one_before_used(
        whole, tiny_run, tiny_flat_data, tmp_path, capsys):
    train(tiny_run, tiny_flat_data, directory=tmp_path, until_epoch=2, log_every=0)
    newest = tmp_path / "epoch_0002.weights.h5"
    truncated = newest.read_bytes()[: newest.stat().st_size // 2]
    newest.write_bytes(truncated)  # as after a crash while writing
    assert readable_weights_file(newest) is not None
    assert readable_weights_file(tmp_path / "epoch_0001.weights.h5") is None

    resumed = train(tiny_run, tiny_flat_data, directory=tmp_path)
    out = capsys.readouterr().out
    assert "epoch_0002.weights.h5" in out and "cannot be read" in out
    assert "set aside as epoch_0002.weights.h5.damaged" in out
    assert "resumed after epoch 1 of 3" in out
    assert (tmp_path / "epoch_0002.weights.h5.damaged").read_bytes() == truncated  # kept
    assert_same_weights(resumed.model, whole.model)  # epoch 2 trained again, as the first time
    assert resumed.history == whole.history


@pytest.mark.parametrize("file_name", ["settings.json", "history.json"])
def test_a_corrupt_json_file_of_a_run_is_an_error_naming_it(tiny_run, tiny_flat_data, tmp_path,
                                                            file_name):
    train(tiny_run, tiny_flat_data, directory=tmp_path, until_epoch=1, log_every=0)
    (tmp_path / file_name).write_text('{"metrics": {"loss": [1.0, ')  # cut off mid-write
    with pytest.raises(ValueError, match="cannot be parsed") as err:
        train(tiny_run, tiny_flat_data, directory=tmp_path, log_every=0)
    assert str(tmp_path / file_name) in str(err.value)


def test_a_history_file_of_another_shape_is_an_error_naming_it(tmp_path):
    (tmp_path / "history.json").write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="not a training history") as err:
        read_history(tmp_path)
    assert str(tmp_path / "history.json") in str(err.value)
    assert read_history(tmp_path / "empty") == ({}, [])


def test_data_of_another_size_than_the_run_is_refused(tiny_run, dataset_factory, tmp_path):
    with pytest.raises(ValueError, match="trains on 256 images; data.x_train has 100"):
        train(tiny_run, dataset_factory(100, 10), directory=tmp_path)
    assert not (tmp_path / "settings.json").exists()


def test_runs_sharing_a_start_begin_from_the_same_weights(tiny_run, tiny_flat_data, tmp_path):
    # Different seeds would draw different initial weights; with a learning rate of 0 the
    # trained weights are the initial ones.
    frozen = dataclasses.replace(tiny_run, learning_rate=0.0, epochs=1, start="tiny_start")
    a = train(dataclasses.replace(frozen, name="a", seed=1), tiny_flat_data,
              directory=tmp_path / "a", log_every=0)
    b = train(dataclasses.replace(frozen, name="b", seed=2), tiny_flat_data,
              directory=tmp_path / "b", log_every=0)
    assert (tmp_path / "tiny_start.weights.h5").exists()
    assert_same_weights(a.model, b.model)
    alone = build_model(dataclasses.replace(frozen, name="b", seed=2, start=None))
    alone(tiny_flat_data.x_train[:1])
    assert not np.array_equal(alone.get_weights()[0], b.model.get_weights()[0])


def test_runs_sharing_a_start_with_different_kl_weights_end_differently(
        tiny_run, tiny_flat_data, tmp_path):
    def sweep_run(c):
        return dataclasses.replace(
            tiny_run, name=f"c{c}", epochs=2, start="tiny_start", seed=5,
            model_args={**tiny_run.model_args, "kl_weight": c})

    low = train(sweep_run(0.0), tiny_flat_data, directory=tmp_path / "low", log_every=0)
    high = train(sweep_run(5.0), tiny_flat_data, directory=tmp_path / "high", log_every=0)
    assert low.model.kl_weight == 0.0 and high.model.kl_weight == 5.0
    assert not np.array_equal(low.model.get_weights()[0], high.model.get_weights()[0])
    assert high.history["kl_loss"][-1] < low.history["kl_loss"][-1]


def test_snapshots_are_kept_at_the_runs_snapshot_epochs(tiny_run, tiny_flat_data, tmp_path):
    run = dataclasses.replace(tiny_run, name="snapshots", epochs=3, snapshot_every=1)
    seen = {}
    trained = train(run, tiny_flat_data, directory=tmp_path, log_every=0,
                    on_epoch_end=lambda epoch, model, logs: seen.update(
                        {epoch: [w.copy() for w in model.get_weights()]}))
    assert run.snapshot_epochs() == [1, 2]
    assert sorted(p.name for p in tmp_path.glob("snapshot_*")) == [
        "snapshot_0001.weights.h5", "snapshot_0002.weights.h5"]
    with pytest.raises(ValueError, match=r"keeps weights at epochs \[1, 2\], not at 3"):
        trained.snapshot_file(3)

    models = snapshot_models(trained)
    assert list(models) == [0, 1, 2, 3] and models[3] is trained.model
    for epoch in (1, 2):  # the weights the run had at the end of that epoch
        for kept, weights in zip(models[epoch].get_weights(), seen[epoch]):
            np.testing.assert_array_equal(kept, weights)
    untrained = build_model(run)
    untrained(tiny_flat_data.x_train[:1])
    models[0](tiny_flat_data.x_train[:1])
    assert_same_weights(models[0], untrained)
    assert not np.array_equal(models[1].get_weights()[0], models[2].get_weights()[0])

    frames = snapshot_frames(trained, tiny_flat_data)
    assert list(frames) == [0, 1, 2, 3]
    assert all(f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 3 for f in frames.values())
    assert not np.array_equal(frames[0], frames[3])


def test_epoch_order_depends_only_on_seed_and_epoch():
    a = epoch_order(100, 1, 5)
    np.testing.assert_array_equal(a, epoch_order(100, 1, 5))
    assert sorted(a) == list(range(100))
    assert not np.array_equal(a, epoch_order(100, 1, 6))
    assert not np.array_equal(a, epoch_order(100, 2, 5))


def test_latest_checkpoint_ignores_other_files(tmp_path):
    assert latest_checkpoint(tmp_path) == (0, None)
    for name in ("epoch_0002.weights.h5", "epoch_0010.weights.h5", "epoch_0011.weights.h5.damaged",
                 "epoch_0012.partial.weights.h5", "final.weights.h5"):
        (tmp_path / name).write_bytes(b"")
    assert latest_checkpoint(tmp_path) == (10, tmp_path / "epoch_0010.weights.h5")


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


def test_a_supervised_run_trains_the_classifier_on_image_class_pairs(tmp_path):
    # the class is where the bright bar is (top, middle, bottom third): learnable from pixels
    rows = lambda n, seed: np.random.default_rng(seed).integers(4, 22, size=n)  # noqa: E731
    def images(n, seed):
        x = np.zeros((n, 28, 28, 1), "float32")
        r = rows(n, seed)
        for i, row in enumerate(r):
            x[i, row:row + 3, 4:24] = 1.0
        return x, np.digitize(r, [10, 16])
    x_train, y_train = images(512, 0)
    x_test, y_test = images(128, 1)
    data = ImageDataset("bars", x_train, y_train, x_test, y_test, ("top", "middle", "bottom"))
    run = Run(name="bars_classifier", model="classifier", dataset="mnist", epochs=4,
              batch_size=32, learning_rate=1e-3, seed=0, train_size=512,
              model_args=dict(num_classes=3, feature_dim=16))
    trained = train(run, data, directory=tmp_path, log_every=0)
    assert set(trained.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert trained.history["val_accuracy"][-1] > 0.9      # chance is about 1/3
    logits = keras.ops.convert_to_numpy(trained.model(x_test))
    assert np.mean(logits.argmax(axis=1) == y_test) == pytest.approx(
        trained.history["val_accuracy"][-1], abs=1e-6)
    again = train(run, data, directory=tmp_path, log_every=0)   # loaded, compiled to evaluate
    assert again.source == "local"
    assert again.model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"] \
        == pytest.approx(trained.history["val_accuracy"][-1], abs=1e-6)


def test_open_run_gives_the_finished_model_its_history_and_refuses_another_runs_folder(
        tiny_run, tiny_flat_data, tmp_path):
    trained = train(tiny_run, tiny_flat_data, directory=tmp_path, log_every=0)
    opened = open_run(tiny_run, tmp_path)
    assert opened.source == "local" and opened.history == trained.history
    assert opened.epoch_seconds == trained.epoch_seconds
    assert_same_weights(opened.model, trained.model)
    np.testing.assert_array_equal(opened.model.encode(tiny_flat_data.x_test),
                                  trained.model.encode(tiny_flat_data.x_test))
    other = dataclasses.replace(tiny_run, learning_rate=0.5)
    with pytest.raises(ValueError, match="other settings .*learning_rate"):
        open_run(other, tmp_path)


def test_model_with_weights_builds_the_runs_model_and_loads_a_weights_file(
        tiny_run, tiny_flat_data, tmp_path):
    trained = train(tiny_run, tiny_flat_data, directory=tmp_path, log_every=0)
    fresh = model_with_weights(tiny_run)
    assert fresh.built and not np.array_equal(fresh.get_weights()[0],
                                              trained.model.get_weights()[0])
    loaded = model_with_weights(tiny_run, tmp_path / "final.weights.h5")
    assert_same_weights(loaded, trained.model)
