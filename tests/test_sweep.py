"""The KL sweep: one run per c through obtain_run, each from the shared start; its results."""

import dataclasses
import json

import keras
import numpy as np
import pytest

import vaetutor.sweep
from vaetutor.runs import kl_sweep_run
from vaetutor.sweep import (RESULT_KEYS, RESULTS_FILE, evaluate_runs, format_results_table, kl_sweep,
                            latent_spread, publish_results, read_results, write_results)


@pytest.fixture
def tiny_sweep(tmp_path, monkeypatch):
    """The sweep's runs made tiny (8 hidden units, 256 images, 2 epochs), trained in ``tmp_path``
    in the full profile with nothing published."""
    def tiny_kl_sweep_run(c, profile=None):
        run = kl_sweep_run(c, profile)
        return dataclasses.replace(run, train_size=256, epochs=2,
                                   model_args={**run.model_args, "hidden_units": [8]})

    monkeypatch.setattr(vaetutor.sweep, "kl_sweep_run", tiny_kl_sweep_run)
    monkeypatch.setenv("VAETUTOR_PROFILE", "full")
    monkeypatch.setenv("VAETUTOR_PUBLISHED", str(tmp_path / "published"))
    monkeypatch.setenv("VAETUTOR_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.delenv("VAETUTOR_RETRAIN", raising=False)
    return tmp_path / "artifacts"


def test_the_sweep_trains_one_run_per_c_each_from_the_shared_start(tiny_sweep, tiny_flat_data,
                                                                   capsys):
    runs = kl_sweep([0.0, 2.0], data=tiny_flat_data)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Run kl_sweep_c0", "Run kl_sweep_c2"]
    assert list(runs) == [0.0, 2.0]
    assert [r.model.kl_weight for r in runs.values()] == [0.0, 2.0]
    assert [r.source for r in runs.values()] == ["trained", "trained"]
    assert sorted(p.name for p in tiny_sweep.iterdir()) == [
        "kl_sweep_c0", "kl_sweep_c2", "kl_sweep_start.weights.h5"]
    # same start, same batches, same noise: c is the only difference, and it shows
    assert not np.array_equal(runs[0.0].model.get_weights()[0], runs[2.0].model.get_weights()[0])
    assert runs[2.0].history["kl_loss"][-1] < runs[0.0].history["kl_loss"][-1]

    again = kl_sweep([2.0], data=tiny_flat_data)
    assert again[2.0].source == "local"
    np.testing.assert_array_equal(again[2.0].model.encode(tiny_flat_data.x_test),
                                  runs[2.0].model.encode(tiny_flat_data.x_test))


def test_a_run_of_the_sweep_does_not_depend_on_the_runs_before_it(tiny_sweep, tiny_flat_data,
                                                                  tmp_path, monkeypatch):
    after_another = kl_sweep([0.5, 1.0], data=tiny_flat_data)[1.0]
    monkeypatch.setenv("VAETUTOR_ARTIFACTS", str(tmp_path / "alone"))
    alone = kl_sweep([1.0], data=tiny_flat_data)[1.0]
    for a, b in zip(after_another.model.get_weights(), alone.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert after_another.history == alone.history


@pytest.mark.parametrize("bad", [[1.0, 1.0], [-0.5], [float("nan")]])
def test_kl_weights_must_be_distinct_and_non_negative(tiny_sweep, bad):
    with pytest.raises(ValueError, match="kl_weights must be distinct numbers >= 0"):
        kl_sweep(bad)
    assert not tiny_sweep.exists()


def test_evaluated_results_follow_each_runs_loss(tiny_sweep, tiny_flat_data):
    runs = kl_sweep([0.0, 2.0], data=tiny_flat_data)
    rows = evaluate_runs(runs, tiny_flat_data.x_test)
    assert [row["c"] for row in rows] == [0.0, 2.0]
    for row, trained in zip(rows, runs.values()):
        # what the model minimised, computed from its two terms by Keras' evaluate
        np.testing.assert_allclose(row["loss"], row["reconstruction"] + row["c"] * row["kl"],
                                   rtol=1e-4)
        np.testing.assert_allclose(row["codes"], trained.model.encode(tiny_flat_data.x_test))
        np.testing.assert_allclose(row["z_mean_mean"], row["codes"].mean(0), rtol=1e-5)
    table = format_results_table(rows).splitlines()
    assert len(table) == 2 + len(rows) and table[2].split()[0] == "0"


def test_latent_spread_of_standard_normal_samples():
    z = np.random.default_rng(0).standard_normal((100_000, 2)) * [1.0, 3.0] + [0.5, 0.0]
    spread = latent_spread(z)
    np.testing.assert_allclose(spread["mean"], [0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(spread["std"], [1.0, 3.0], rtol=0.01)
    np.testing.assert_allclose(spread["rms_radius"], np.sqrt(1 + 0.25 + 9), rtol=0.01)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        latent_spread(np.zeros(5))


def test_results_file_round_trip_keeps_every_number_and_drops_the_codes(tiny_sweep, tiny_flat_data,
                                                                         tmp_path):
    rows = evaluate_runs(kl_sweep([0.0, 1.0], data=tiny_flat_data), tiny_flat_data.x_test)
    path = tmp_path / RESULTS_FILE
    write_results(rows, path)
    kept = read_results(path)
    assert json.loads(path.read_text())["test_images"] == len(tiny_flat_data.x_test)
    assert [set(r) for r in kept] == [set(RESULT_KEYS)] * 2
    for row, back in zip(rows, kept):
        for key in RESULT_KEYS:
            np.testing.assert_array_equal(np.asarray(back[key]), np.asarray(row[key], "float64"))
    assert format_results_table(kept) == format_results_table(rows)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the published results were computed on TensorFlow")
def test_the_published_results_file_is_what_the_published_sweep_gives(tmp_path):
    """Re-evaluating the published weights reproduces published/kl_sweep_results.json."""
    fresh = read_results(publish_results(tmp_path / RESULTS_FILE))
    for row, kept in zip(fresh, read_results(), strict=True):
        for key in ("c", "reconstruction", "kl", "neg_elbo", "rms_radius"):
            assert row[key] == pytest.approx(kept[key], abs=1e-3), (row["c"], key)
