"""Resumable training: an interrupted and resumed run equals an uninterrupted one."""

import json

import keras
import numpy as np
import pytest

from vaetutor.conv import build_conv_vae
from vaetutor.mlp import build_mlp_vae
from vaetutor.seeding import seed_everything
from vaetutor.training import epoch_order, latest_checkpoint, train_with_checkpoints


def compiled(builder):
    seed_everything(0)
    model = builder()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


@pytest.mark.parametrize("builder, shape", [
    (lambda: build_mlp_vae(hidden_units=(32,), seed=1), (256, 784)),
    (lambda: build_conv_vae(seed=1), (96, 28, 28, 1)),
], ids=["mlp", "conv"])
def test_interrupted_and_resumed_run_ends_with_the_same_weights(tmp_path, builder, shape):
    x = (np.random.default_rng(0).uniform(size=shape) ** 4).astype("float32")
    settings = dict(batch_size=32, seed=3, log_every=0)
    whole = compiled(builder)
    whole_history = train_with_checkpoints(whole, x, epochs=4, directory=tmp_path / "a", **settings)
    part = compiled(builder)
    train_with_checkpoints(part, x, epochs=2, directory=tmp_path / "b", **settings)  # "killed"
    resumed = compiled(builder)  # a new process would start from a fresh model
    resumed_history = train_with_checkpoints(resumed, x, epochs=4, directory=tmp_path / "b",
                                             **settings)
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed_history == whole_history and len(whole_history["loss"]) == 4


def test_only_the_newest_checkpoints_are_kept_and_a_finished_run_returns_at_once(tmp_path):
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    model = compiled(lambda: build_mlp_vae(hidden_units=(8,)))
    train_with_checkpoints(model, x, epochs=3, batch_size=32, seed=0, directory=tmp_path,
                           keep=2, log_every=0)
    assert sorted(p.name for p in tmp_path.glob("epoch_*.weights.h5")) == [
        "epoch_0002.weights.h5", "epoch_0003.weights.h5"]
    assert latest_checkpoint(tmp_path)[0] == 3
    calls = []
    history = train_with_checkpoints(compiled(lambda: build_mlp_vae(hidden_units=(8,))), x,
                                     epochs=3, batch_size=32, seed=0, directory=tmp_path,
                                     on_epoch_end=lambda *a: calls.append(a), log_every=0)
    assert calls == [] and len(history["loss"]) == 3
    assert json.loads((tmp_path / "history.json").read_text()) == history


def test_checkpoints_of_other_settings_are_refused(tmp_path):
    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    train_with_checkpoints(compiled(lambda: build_mlp_vae(hidden_units=(8,))), x, epochs=1,
                           batch_size=32, seed=0, directory=tmp_path, log_every=0)
    with pytest.raises(ValueError, match="another directory"):
        train_with_checkpoints(compiled(lambda: build_mlp_vae(hidden_units=(8,))), x, epochs=2,
                               batch_size=16, seed=0, directory=tmp_path, log_every=0)
    with pytest.raises(ValueError, match="compile"):
        train_with_checkpoints(build_mlp_vae(), x, epochs=1, batch_size=32, seed=0,
                               directory=tmp_path / "new")


def test_epoch_order_depends_only_on_seed_and_epoch():
    a, b = epoch_order(100, 1, 5), epoch_order(100, 1, 5)
    np.testing.assert_array_equal(a, b)
    assert sorted(a) == list(range(100))
    assert not np.array_equal(a, epoch_order(100, 1, 6))


def test_build_and_train_returns_the_finished_model_on_a_second_call(tmp_path):
    from vaetutor.training import build_and_train

    x = np.random.default_rng(0).uniform(size=(64, 784)).astype("float32")
    settings = dict(directory=tmp_path, learning_rate=1e-3, epochs=2, batch_size=32, seed=4,
                    log_every=0)
    first, history = build_and_train(lambda: build_mlp_vae(hidden_units=(8,)), x, **settings)
    again, history_again = build_and_train(lambda: build_mlp_vae(hidden_units=(8,)), x, **settings)
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history_again == history and len(history["loss"]) == 2
