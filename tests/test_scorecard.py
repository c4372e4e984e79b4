"""Notebook 06's per-model scores: the same numbers as the measurement modules, one table."""

import numpy as np
import pytest

from conftest import build_flat_mmd_vae, make_dataset
from vaetutor.likelihood import importance_weighted_bounds
from vaetutor.representation import knn_accuracy, sample_codes
from vaetutor.sample_quality import (build_classifier, classifier_features, feature_statistics,
                                     sample_quality)
from vaetutor.scorecard import as_images, format_codes, format_results, mean_and_error, score_model
from vaetutor.seeding import seed_everything


@pytest.fixture(scope="module")
def setting():
    data = make_dataset(n_train=200, n_test=60, flat=True)
    seed_everything(0)
    classifier = build_classifier(num_classes=3, feature_dim=8)
    reference = feature_statistics(classifier_features(classifier, as_images(data.x_test)))
    return data, classifier, reference


def test_a_vaes_score_is_the_measurement_modules_own_numbers(far_mlp_vae, setting):
    data, classifier, reference = setting
    score = score_model(far_mlp_vae, data, classifier=classifier, reference_statistics=reference,
                        iw_ks=[1, 8], iw_indices=np.arange(10), samples=300, morph_pairs=20,
                        seed=5)
    direct = importance_weighted_bounds(far_mlp_vae, data.x_test[:10], [1, 8], seed=5)
    for k in (1, 8):
        np.testing.assert_allclose(score["iw"][k], direct[k])
    codes = score["codes"]
    assert codes["mean"]["knn_accuracy"] == knn_accuracy(
        far_mlp_vae.encode(data.x_train), data.y_train, far_mlp_vae.encode(data.x_test),
        data.y_test)
    sampled_test = sample_codes(far_mlp_vae, data.x_test, seed=6)
    assert codes["sampled"]["mean_norm"] == pytest.approx(
        np.linalg.norm(sampled_test.mean(axis=0)), rel=1e-6)
    z = np.random.default_rng(5).standard_normal((300, 2), dtype=np.float32)
    expected = sample_quality(classifier, as_images(far_mlp_vae.decode(z)), reference)
    assert score["samples"] == pytest.approx(expected)
    assert score["morph"]["path_ratio"] >= 1.0 - 1e-9
    assert 0 < score["morph"]["largest_step"] <= 1


def test_the_mmd_vae_has_no_bound_and_no_sampled_codes_and_the_table_says_so(far_mlp_vae,
                                                                             setting):
    data, classifier, reference = setting
    common = dict(classifier=classifier, reference_statistics=reference, iw_ks=[1, 4],
                  iw_indices=np.arange(6), samples=200, morph_pairs=10)
    scores = {"far VAE": score_model(far_mlp_vae, data, **common),
              "MMD-VAE": score_model(build_flat_mmd_vae(), data, **common)}
    assert scores["MMD-VAE"]["iw"] is None and "sampled" not in scores["MMD-VAE"]["codes"]
    table = format_results(scores, k=4).splitlines()
    assert "L_4" in table[0] and len(table) == 4
    vae_row, mmd_row = table[2], table[3]
    mean, error = mean_and_error(scores["far VAE"]["iw"][4])
    assert vae_row.startswith("far VAE") and f"{mean:.2f} ± {error:.2f}" in vae_row
    assert mmd_row.startswith("MMD-VAE") and mmd_row.count("—") == 2
    with pytest.raises(KeyError):
        format_results(scores, k=3)   # not computed


def test_bad_arguments_are_named(far_mlp_vae, setting):
    data, classifier, reference = setting
    common = dict(classifier=classifier, reference_statistics=reference, iw_ks=[1])
    with pytest.raises(ValueError, match="iw_indices"):
        score_model(far_mlp_vae, data, iw_indices=[], **common)
    with pytest.raises(ValueError, match="samples"):
        score_model(far_mlp_vae, data, iw_indices=np.arange(3), samples=0, **common)


def test_mean_and_error():
    mean, error = mean_and_error([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and error == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)


def test_the_codes_table_has_a_line_per_kind_of_code_and_the_priors(far_mlp_vae, setting):
    data, classifier, reference = setting
    score = score_model(far_mlp_vae, data, classifier=classifier, reference_statistics=reference,
                        iw_ks=[1], iw_indices=np.arange(4), samples=100, morph_pairs=5)
    lines = format_codes({"far": score}).splitlines()
    assert [line.split()[:2] for line in lines[2:]] == [["far", "z"], ["far", "z~q"],
                                                        ["prior", "N(0,"]]
    mean_codes = score["codes"]["mean"]
    assert f"{mean_codes['gaussian_kl']:7.3f}" in lines[2]
    assert lines[4].split()[-3:] == ["60.7%", "13.5%", "1.1%"]   # exp(-r^2 / 2) in 2-D
