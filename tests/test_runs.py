"""A run's settings (vaetutor.settings) and the series' catalogue of runs (vaetutor.runs): each
run defined once, valid, and the same in both profiles but for their size."""

import dataclasses
import json

import pytest

import vaetutor.runs
from vaetutor.runs import BUILDERS, build_model, fit_data, series_runs
from vaetutor.settings import MODEL_NAMES, Run

#: the settings the notebooks say the quick profile shortens: fewer epochs of fewer images, a
#: larger learning rate for the conv runs, and snapshots that fit in their two epochs
PROFILE_SETTINGS = {"epochs", "train_size", "learning_rate", "snapshot_every"}


def a_run(**change):
    settings = dict(name="r", model="mlp_vae", dataset="mnist", epochs=2, batch_size=32,
                    learning_rate=1e-3, seed=0)
    return Run(**{**settings, **change})


@pytest.mark.parametrize("key", ["epochs", "batch_size"])
@pytest.mark.parametrize("value", [0, -1, 2.5, "3", True, None])
def test_epochs_and_batch_size_must_be_positive_integers(key, value):
    with pytest.raises(ValueError, match=f"run 'r': {key} must be a positive integer; got"):
        a_run(**{key: value})


@pytest.mark.parametrize("value", [0, -10, 2.0])
def test_snapshot_every_must_be_a_positive_integer_or_none(value):
    with pytest.raises(ValueError, match="snapshot_every must be a positive integer or None"):
        a_run(snapshot_every=value)


def test_an_unknown_model_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown model 'cnn_vae'") as err:
        a_run(model="cnn_vae")
    assert all(name in str(err.value) for name in BUILDERS)


def test_an_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'"):
        a_run(dataset="cifar10")


def test_every_model_a_run_can_name_has_a_builder():
    assert set(MODEL_NAMES) == set(BUILDERS)


def test_snapshots_are_kept_every_k_epochs_before_the_last():
    assert a_run(epochs=50, snapshot_every=10).snapshot_epochs() == [10, 20, 30, 40]
    assert a_run(epochs=7, snapshot_every=3).snapshot_epochs() == [3, 6]
    assert a_run(epochs=2, snapshot_every=2).snapshot_epochs() == []  # the last is the final
    assert a_run(epochs=5).snapshot_epochs() == []


def test_settings_are_everything_but_the_name():
    a, b = a_run(name="a"), a_run(name="b")
    assert a.settings() == b.settings() and "name" not in a.settings()
    assert a_run(seed=1).settings() != a.settings()


def test_every_series_run_has_its_own_name(monkeypatch):
    made = []

    def recording_run(*args, **kwargs):
        made.append(Run(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(vaetutor.runs, "Run", recording_run)
    for profile in ("full", "quick"):
        made.clear()
        runs = series_runs(profile)
        names = [run.name for run in made]
        assert len(set(names)) == len(names) == len(runs), names
        assert all(runs[name].name == name for name in runs)


def test_full_and_quick_runs_differ_only_in_their_size():
    full, quick = series_runs("full"), series_runs("quick")
    assert list(full) == list(quick)
    for name in full:
        a, b = full[name].settings(), quick[name].settings()
        differ = {k for k in a if a[k] != b[k]}
        # a warm-up's length is counted in epochs: the quick profile's is shorter too
        allowed = PROFILE_SETTINGS | ({"model_args"} if "kl_warmup_epochs" in a["model_args"]
                                      else set())
        assert differ <= allowed, (name, differ)
        if "model_args" in differ:
            assert b["model_args"]["kl_warmup_epochs"] < a["model_args"]["kl_warmup_epochs"]
        assert b["epochs"] < a["epochs"], name
        # all 60,000 images, or (notebook 07's smaller runs) a larger subset than quick's
        assert b["train_size"] is not None, name
        assert a["train_size"] is None or a["train_size"] > b["train_size"], name


@pytest.mark.parametrize("profile", ["full", "quick"])
def test_settings_are_json_and_rebuild_the_same_run(profile):
    for name, run in series_runs(profile).items():
        settings = run.settings()
        stored = json.loads(json.dumps(settings))
        assert stored == settings, name
        assert Run(name=name, **stored) == run
    assert len({json.dumps(r.settings(), sort_keys=True) for r in series_runs(profile).values()}) \
        == len(series_runs(profile))  # no two runs are one run under two names


def test_a_runs_model_comes_from_its_builder_with_its_arguments():
    run = dataclasses.replace(series_runs("quick")["kl_sweep_c20"],
                              model_args=dict(latent_dim=3, kl_weight=20.0, seed=7,
                                              hidden_units=(8,)))
    model = build_model(run)
    assert model.kl_weight == 20.0 and model.latent_dim == 3
    assert model.encoder.get_layer("hidden_0").units == 8


def test_fit_data_gives_images_alone_to_autoencoders_and_pairs_to_the_classifier(tiny_flat_data):
    vae_run = a_run(flatten=True)
    x, y, validation = fit_data(vae_run, tiny_flat_data)
    assert x is tiny_flat_data.x_train and y is None and validation[0] is tiny_flat_data.x_test
    assert len(validation) == 1
    classifier = a_run(model="classifier")
    x, y, validation = fit_data(classifier, tiny_flat_data)
    assert list(y) == list(tiny_flat_data.y_train) and len(validation) == 2
    assert fit_data(a_run(validate=False), tiny_flat_data)[2] is None
