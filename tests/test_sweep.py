"""The KL sweep: a shared start for every c, and resumable runs."""

import itertools

import keras
import numpy as np
import pytest

from vaetutor.mlp import build_mlp_vae
from vaetutor.sweep import kl_sweep, latent_spread

X = np.random.default_rng(0).uniform(size=(256, 784)).astype("float32") ** 4


def small_vae_builder():
    """A builder whose every call draws *different* initial weights (a new global seed)."""
    counter = itertools.count(1000)

    def build(kl_weight):
        keras.utils.set_random_seed(next(counter))
        return build_mlp_vae(hidden_units=(32,), kl_weight=kl_weight, seed=1)

    return build


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_every_run_starts_from_the_same_initial_weights(tmp_path):
    # With a learning rate of 0 training leaves the weights where they started.
    build = small_vae_builder()
    runs = kl_sweep(build, [0.0, 1.0, 20.0], X, directory=tmp_path, epochs=1,
                    batch_size=128, learning_rate=0.0, seed=3)
    start = weights_of(runs[0.0].model)
    for c in (1.0, 20.0):
        assert_same_weights(weights_of(runs[c].model), start)
    other = build(kl_weight=0.0)
    other(X[:1])
    assert not np.array_equal(weights_of(other)[0], start[0])  # the builder alone would differ


def test_a_run_does_not_depend_on_the_runs_before_it(tmp_path):
    settings = dict(epochs=2, batch_size=64, learning_rate=1e-3, seed=3)
    after_others = kl_sweep(small_vae_builder(), [0.0, 0.5, 1.0], X, directory=tmp_path / "a",
                            **settings)
    alone = kl_sweep(small_vae_builder(), [1.0], X, directory=tmp_path / "b", **settings)
    assert_same_weights(weights_of(after_others[1.0].model), weights_of(alone[1.0].model))
    assert after_others[1.0].history == alone[1.0].history
    assert after_others[0.0].history["kl_loss"] != alone[1.0].history["kl_loss"]


def test_interrupted_sweep_resumes_and_matches_an_uninterrupted_one(tmp_path):
    settings = dict(epochs=2, batch_size=64, learning_rate=1e-3, seed=5)
    whole = kl_sweep(small_vae_builder(), [0.0, 2.0], X, directory=tmp_path / "whole", **settings)
    # "interrupted" after the first c, then run again with the full list
    first = kl_sweep(small_vae_builder(), [0.0], X, directory=tmp_path / "resumed", **settings)
    saved = (tmp_path / "resumed" / "kl_0.0.weights.h5").stat().st_mtime_ns
    resumed = kl_sweep(small_vae_builder(), [0.0, 2.0], X, directory=tmp_path / "resumed",
                       **settings)
    assert resumed[0.0].reused and not resumed[2.0].reused
    assert (tmp_path / "resumed" / "kl_0.0.weights.h5").stat().st_mtime_ns == saved
    assert_same_weights(weights_of(resumed[0.0].model), weights_of(first[0.0].model))
    assert resumed[0.0].history == first[0.0].history
    assert_same_weights(weights_of(resumed[2.0].model), weights_of(whole[2.0].model))
    again = kl_sweep(small_vae_builder(), [2.0], X, directory=tmp_path / "resumed", retrain=True,
                     **settings)
    assert not again[2.0].reused


def test_a_directory_with_other_settings_is_not_overwritten(tmp_path):
    kl_sweep(small_vae_builder(), [1.0], X, directory=tmp_path, epochs=1, batch_size=128,
             learning_rate=1e-3, seed=0)
    before = (tmp_path / "kl_1.0.weights.h5").read_bytes()
    with pytest.raises(ValueError, match="another directory"):
        kl_sweep(small_vae_builder(), [1.0], X, directory=tmp_path, epochs=2, batch_size=128,
                 learning_rate=1e-3, seed=0)
    assert (tmp_path / "kl_1.0.weights.h5").read_bytes() == before


def test_kl_weights_must_be_distinct_and_non_negative(tmp_path):
    for bad in ([1.0, 1.0], [-0.5]):
        with pytest.raises(ValueError, match="kl_weights"):
            kl_sweep(small_vae_builder(), bad, X, directory=tmp_path, epochs=1, batch_size=8,
                     learning_rate=1e-3, seed=0)


def test_latent_spread_of_standard_normal_samples():
    z = np.random.default_rng(0).standard_normal((100_000, 2)) * [1.0, 3.0] + [0.5, 0.0]
    spread = latent_spread(z)
    np.testing.assert_allclose(spread["mean"], [0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(spread["std"], [1.0, 3.0], rtol=0.01)
    np.testing.assert_allclose(spread["rms_radius"], np.sqrt(1 + 0.25 + 9), rtol=0.01)
