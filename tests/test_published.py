"""Published runs: used when their settings match, checked byte for byte, never used silently."""

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from vaetutor.published import (
    PublishedRunError,
    find_published,
    load_published,
    obtain_run,
    publish,
    published_folder,
    read_manifest,
    verified_files,
)
from vaetutor.runs import mlp_vae_run, series_runs
from vaetutor.training import train


@pytest.fixture
def places(tmp_path, monkeypatch):
    """The full profile, with the published folder and the artifacts folder in ``tmp_path``."""
    places = {k: tmp_path / k for k in ("published", "artifacts", "elsewhere", "temp")}
    monkeypatch.setenv("VAETUTOR_PROFILE", "full")
    monkeypatch.setenv("VAETUTOR_PUBLISHED", str(places["published"]))
    monkeypatch.setenv("VAETUTOR_ARTIFACTS", str(places["artifacts"]))
    monkeypatch.delenv("VAETUTOR_RETRAIN", raising=False)
    places["temp"].mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(places["temp"]))
    return places


@pytest.fixture(scope="module")
def finished(tiny_run, tiny_flat_data, tmp_path_factory):
    """``tiny_run`` (2 epochs) trained once, somewhere else: what a maintainer would publish."""
    run = dataclasses.replace(tiny_run, name="tiny_published", epochs=2)
    return train(run, tiny_flat_data, directory=tmp_path_factory.mktemp("finished"), log_every=0)


def test_a_published_run_is_used_when_its_settings_match(places, finished, tiny_flat_data,
                                                         capsys):
    entry = publish(finished, machine="a test machine", software="test software")
    published = places["published"] / finished.run.name
    for name, digest in entry["files"].items():  # copied whole, checksums of the copies
        assert (published / name).read_bytes() == (finished.directory / name).read_bytes()
        assert hashlib.sha256((published / name).read_bytes()).hexdigest() == digest
    assert read_manifest()[finished.run.name] == entry

    got = obtain_run(finished.run, tiny_flat_data)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "tiny_published" in lines[0] and "a test machine" in lines[0]
    assert got.source == "published" and got.info == entry
    x = tiny_flat_data.x_test
    np.testing.assert_array_equal(got.model.encode(x), finished.model.encode(x))
    assert got.history == finished.history and got.epoch_seconds == finished.epoch_seconds
    assert not places["artifacts"].exists()  # nothing trained


def test_a_run_whose_model_args_hold_a_tuple_matches_its_published_copy(
        places, tiny_run, tiny_flat_data, capsys):
    # build_mlp_vae's own default for hidden_units is a tuple; the manifest stores a JSON list
    run = dataclasses.replace(tiny_run, name="tiny_tuple", epochs=1,
                              model_args=dict(latent_dim=2, seed=0, hidden_units=(8,)))
    trained = train(run, tiny_flat_data, directory=places["elsewhere"], log_every=0)
    publish(trained, machine="m", software="s")
    entry, why_not = find_published(run)
    assert why_not == "" and entry is not None
    assert obtain_run(run, tiny_flat_data).source == "published"


def test_a_published_run_with_other_settings_is_not_used(places, finished, tiny_flat_data):
    publish(finished, machine="m", software="s")
    other = dataclasses.replace(finished.run, learning_rate=2e-3)
    entry, why_not = find_published(other)
    assert entry is None and "learning_rate" in why_not and "tiny_published" in why_not
    got = obtain_run(other, tiny_flat_data, log_every=0, verbose=False)
    assert got.source == "trained"
    assert got.directory == places["artifacts"] / "tiny_published"
    assert find_published(dataclasses.replace(finished.run, name="unknown"))[0] is None


@pytest.mark.parametrize("file_name", ["final.weights.h5", "history.json"])
def test_a_byte_changed_in_a_published_file_is_an_error_naming_it(places, finished,
                                                                  tiny_flat_data, file_name):
    publish(finished, machine="m", software="s")
    path = places["published"] / finished.run.name / file_name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(PublishedRunError, match="damaged or was changed") as err:
        obtain_run(finished.run, tiny_flat_data, verbose=False)
    assert str(path) in str(err.value) and "VAETUTOR_RETRAIN=1" in str(err.value)
    assert not places["artifacts"].exists()  # not silently trained instead


def test_a_missing_published_file_is_an_error_naming_it(places, finished, tiny_flat_data):
    entry = publish(finished, machine="m", software="s")
    path = places["published"] / finished.run.name / "history.json"
    path.unlink()
    with pytest.raises(PublishedRunError, match="missing") as err:
        verified_files(finished.run.name, entry, places["published"])
    assert str(path) in str(err.value)


def test_retrain_trains_even_when_a_published_run_matches(places, finished, tiny_flat_data,
                                                          monkeypatch, capsys):
    publish(finished, machine="m", software="s")
    monkeypatch.setenv("VAETUTOR_RETRAIN", "1")
    got = obtain_run(finished.run, tiny_flat_data, log_every=0)
    assert got.source == "trained" and got.directory == places["artifacts"] / "tiny_published"
    assert "trained here" in capsys.readouterr().out
    monkeypatch.setenv("VAETUTOR_RETRAIN", "yes")
    with pytest.raises(ValueError, match="VAETUTOR_RETRAIN must be 0 or 1; got 'yes'"):
        obtain_run(finished.run, tiny_flat_data)


def test_a_run_finished_here_before_is_loaded(places, finished, tiny_flat_data):
    first = obtain_run(finished.run, tiny_flat_data, log_every=0, verbose=False)
    again = obtain_run(finished.run, tiny_flat_data, log_every=0, verbose=False)
    assert (first.source, again.source) == ("trained", "local")
    np.testing.assert_array_equal(again.model.encode(tiny_flat_data.x_test),
                                  first.model.encode(tiny_flat_data.x_test))


def test_the_quick_profile_trains_from_scratch_in_a_temporary_folder(
        places, finished, tiny_flat_data, monkeypatch):
    obtain_run(finished.run, tiny_flat_data, log_every=0, verbose=False)  # full: in artifacts
    monkeypatch.setenv("VAETUTOR_PROFILE", "quick")
    got = obtain_run(finished.run, tiny_flat_data, log_every=0, verbose=False)
    assert got.source == "trained"
    assert got.directory.is_relative_to(places["temp"])
    assert got.history == finished.history  # the same run, trained again


def test_a_manifest_that_is_not_json_is_an_error_naming_it(places, finished):
    places["published"].mkdir()
    (places["published"] / "manifest.json").write_text('{"runs": {')
    with pytest.raises(ValueError, match="cannot be parsed") as err:
        find_published(finished.run)
    assert str(places["published"] / "manifest.json") in str(err.value)
    (places["published"] / "manifest.json").write_text(json.dumps({"tiny_published": {}}))
    with pytest.raises(PublishedRunError, match="no 'runs' mapping"):
        find_published(finished.run)


def test_publishing_an_unfinished_run_is_refused(places, tiny_run, tiny_flat_data):
    part = train(tiny_run, tiny_flat_data, directory=places["elsewhere"], until_epoch=1,
                 log_every=0)
    with pytest.raises(PublishedRunError, match="final.weights.h5 is missing"):
        publish(part, machine="m", software="s")


def test_the_projects_published_mlp_run_matches_its_run_and_its_checksums(monkeypatch):
    monkeypatch.delenv("VAETUTOR_PUBLISHED", raising=False)
    run = mlp_vae_run("full")
    entry, why_not = find_published(run)
    assert entry is not None, why_not
    files = verified_files(run.name, entry, published_folder())
    history = json.loads(files["history.json"].read_text())
    assert len(history["epoch_seconds"]) == run.epochs == entry["epochs"]
    assert all(len(v) == run.epochs for v in history["metrics"].values())


def stored_arrays(path) -> list:
    """Every array in a Keras ``.weights.h5`` file (its ``vars`` datasets), read with h5py."""
    import h5py

    arrays = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda key, item: arrays.append(np.asarray(item))
                     if isinstance(item, h5py.Dataset) and "/vars/" in f"/{key}" else None)
    return arrays


def test_every_published_run_loads_into_the_models_the_code_builds_now(monkeypatch):
    """A change of a model's layers (a class renamed, a layer added) that the published weight
    files no longer fit fails here, not only in ``make test-full``."""
    monkeypatch.delenv("VAETUTOR_PUBLISHED", raising=False)
    runs = series_runs("full")
    assert len(runs) == len(read_manifest(published_folder()))
    for name, run in runs.items():
        entry, why_not = find_published(run)
        assert entry is not None, why_not
        trained = load_published(run, entry)
        assert trained.source == "published" and trained.model.count_params() > 0, name
        # every array of the weights file, read with h5py, is a weight of the loaded model
        stored = stored_arrays(published_folder() / name / "final.weights.h5")
        weights = trained.model.get_weights()
        assert len(stored) == len(weights), name
        loaded = sorted((w.shape, w.tobytes()) for w in weights)
        assert sorted((a.shape, a.tobytes()) for a in stored) == loaded, name


def test_the_published_weights_stay_within_the_60_mb_every_clone_carries():
    folder = Path(__file__).resolve().parents[1] / "published"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 60e6, f"published/ holds {size / 1e6:.1f} MB; the project allows 60 MB"
