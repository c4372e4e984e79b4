"""Notebook 07's package pieces: the VAE variants, warm-up and free bits, the NaN guard, the
bounded log-variance, PyTorch's initialisation, the diagnostics and the loss units."""

import dataclasses
import math

import keras
import numpy as np
import pytest
from keras import ops

from vaetutor.data import load_image_folder, split_image_folder, write_image_folder
from vaetutor.diagnostics import (FLOAT32_EXP_LIMIT, LogVarianceWatch, active_units,
                                  image_sharpness, mean_kl_per_dimension, unit_activity)
from vaetutor.evaluation import negative_elbo
from vaetutor.initializers import pytorch_default_init, pytorch_fan_in
from vaetutor.layers import BoundedLogVar
from vaetutor.loss_units import from_nats_per_image, to_nats_per_image
from vaetutor.losses import kl_per_dimension, kl_to_standard_normal
from vaetutor.mlp import build_mlp_vae
from vaetutor.runs import build_model, chapter_07_runs, nan_run
from vaetutor.training import TrainingDiverged, train
from vaetutor.variants import build_mlp_variant


def outputs_far_from_prior(model, x, seed=0):
    rng = np.random.default_rng(seed)
    n, d = len(x), model.latent_dim
    z_mean = rng.normal(1.5, 1.0, (n, d)).astype("float32")
    z_log_var = rng.normal(-1.0, 0.5, (n, d)).astype("float32")
    logits = rng.normal(0.0, 3.0, x.shape).astype("float32")
    return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z_mean, "logits": logits}


def numpy_kl_per_dim(m, lv):
    return 0.5 * (m ** 2 + np.exp(lv) - 1.0 - lv)


@pytest.fixture
def batch():
    return np.random.default_rng(1).uniform(0, 1, (32, 784)).astype("float32")


def test_kl_per_dimension_matches_numpy_and_sums_to_the_kl(batch):
    out = outputs_far_from_prior(build_mlp_vae(hidden_units=(8,), latent_dim=4), batch)
    per_dim = ops.convert_to_numpy(kl_per_dimension(out["z_mean"], out["z_log_var"]))
    np.testing.assert_allclose(per_dim, numpy_kl_per_dim(out["z_mean"], out["z_log_var"]),
                               rtol=1e-5)
    np.testing.assert_allclose(per_dim.sum(1), ops.convert_to_numpy(
        kl_to_standard_normal(out["z_mean"], out["z_log_var"])), rtol=1e-5)


def test_the_pixel_mean_loss_is_the_kl_weight_784_loss_divided_by_784(batch):
    plain = build_mlp_vae(hidden_units=(8,), latent_dim=2, kl_weight=784.0)
    mean = build_mlp_variant("pixel_mean", hidden_units=(8,), latent_dim=2)
    out = outputs_far_from_prior(plain, batch)
    a = ops.convert_to_numpy(plain.loss_terms(batch, out)["loss"])
    b = ops.convert_to_numpy(mean.loss_terms(batch, out)["loss"])
    np.testing.assert_allclose(b, a / 784.0, rtol=1e-5)


def test_the_probability_form_equals_the_logits_form_until_it_saturates(batch):
    logits_model = build_mlp_vae(hidden_units=(8,), latent_dim=2)
    prob_model = build_mlp_variant("probabilities", hidden_units=(8,), latent_dim=2)
    out = outputs_far_from_prior(logits_model, batch)
    a = ops.convert_to_numpy(logits_model.loss_terms(batch, out)["loss"])
    b = ops.convert_to_numpy(prob_model.loss_terms(batch, out)["loss"])
    np.testing.assert_allclose(a, b, rtol=1e-3)
    out["logits"] = out["logits"].copy()
    out["logits"][0, 0] = 40.0             # p rounds to exactly 1 in float32
    x = batch.copy()
    x[0, 0] = 1.0
    assert not np.isfinite(ops.convert_to_numpy(prob_model.loss_terms(x, out)["loss"])[0])
    assert np.isfinite(ops.convert_to_numpy(logits_model.loss_terms(x, out)["loss"])[0])


@pytest.mark.parametrize("sigma", [0.5, 0.05])
def test_the_gaussian_decoder_is_the_gaussian_negative_log_density(batch, sigma):
    model = build_mlp_variant("gaussian", hidden_units=(8,), latent_dim=2, sigma=sigma)
    out = outputs_far_from_prior(model, batch)
    mu = 1.0 / (1.0 + np.exp(-out["logits"].astype("float64")))
    expected = (0.5 * ((batch - mu) / sigma) ** 2 + math.log(sigma)
                + 0.5 * math.log(2 * math.pi)).sum(1)
    got = ops.convert_to_numpy(model.loss_terms(batch, out)["reconstruction_loss"])
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_the_optimal_sigma_is_the_root_mean_squared_error_and_maximises_the_likelihood(batch):
    model = build_mlp_variant("gaussian", hidden_units=(8,), latent_dim=2, sigma="optimal")
    out = outputs_far_from_prior(model, batch)
    mu = 1.0 / (1.0 + np.exp(-out["logits"].astype("float64")))
    terms = {k: ops.convert_to_numpy(v) for k, v in model.loss_terms(batch, out).items()}
    best = math.sqrt(((batch - mu) ** 2).mean())
    np.testing.assert_allclose(terms["sigma"], best, rtol=1e-4)
    total = terms["reconstruction_loss"].sum()
    for other in (0.8 * best, 1.25 * best):   # any other fixed sigma fits worse
        fixed = build_mlp_variant("gaussian", hidden_units=(8,), latent_dim=2, sigma=other)
        assert ops.convert_to_numpy(fixed.loss_terms(batch, out)["reconstruction_loss"]).sum() \
            > total


def test_a_gaussian_decoder_has_no_bernoulli_elbo(batch):
    model = build_mlp_variant("gaussian", hidden_units=(8,), latent_dim=2, sigma=0.5)
    model(batch[:1])
    with pytest.raises(ValueError, match="gaussian decoder"):
        negative_elbo(model, batch)


def test_free_bits_charge_at_least_lambda_per_dimension_and_report_the_plain_kl(batch):
    model = build_mlp_vae(hidden_units=(8,), latent_dim=4, free_bits=2.0)
    out = outputs_far_from_prior(model, batch)
    out["z_mean"][:, 0] = 0.0
    out["z_log_var"][:, 0] = 0.0          # dimension 0 at the prior: KL 0, charged 2 nats
    terms = {k: ops.convert_to_numpy(v) for k, v in model.loss_terms(batch, out).items()}
    per_dim = numpy_kl_per_dim(out["z_mean"], out["z_log_var"]).mean(0)
    np.testing.assert_allclose(terms["kl_loss"], numpy_kl_per_dim(
        out["z_mean"], out["z_log_var"]).sum(1), rtol=1e-5)
    np.testing.assert_allclose(terms["loss"] - terms["reconstruction_loss"],
                               np.maximum(per_dim, 2.0).sum(), rtol=1e-5)


def test_warm_up_weights_the_kl_by_epoch_over_warmup_epochs(batch):
    model = build_mlp_vae(hidden_units=(8,), latent_dim=2, kl_warmup_epochs=4)
    out = outputs_far_from_prior(model, batch)
    for epoch, weight in [(0, 0.0), (1, 0.25), (3, 0.75), (4, 1.0), (9, 1.0)]:
        model.begin_epoch(epoch)
        terms = {k: ops.convert_to_numpy(v) for k, v in model.loss_terms(batch, out).items()}
        np.testing.assert_allclose(terms["loss"], terms["reconstruction_loss"]
                                   + weight * terms["kl_loss"], rtol=1e-5)


def test_the_engine_sets_the_warm_up_before_each_epoch(tiny_run, tiny_flat_data, tmp_path):
    run = dataclasses.replace(tiny_run, name="tiny_warmup", epochs=2,
                              model_args={**tiny_run.model_args, "kl_warmup_epochs": 2})
    seen = []
    train(run, tiny_flat_data, directory=tmp_path, log_every=0,
          on_epoch_end=lambda e, m, logs: seen.append(float(ops.convert_to_numpy(m.warmup))))
    assert seen == [0.0, 0.5]


def test_a_loss_that_becomes_nan_stops_training_with_a_clear_error(tiny_run, tiny_flat_data,
                                                                   tmp_path):
    run = dataclasses.replace(tiny_run, name="tiny_diverging", epochs=3, learning_rate=1e3)
    with pytest.raises(TrainingDiverged, match=r"tiny_diverging.*in epoch \d, by batch \d") \
            as caught:
        train(run, tiny_flat_data, directory=tmp_path, log_every=0)
    error = caught.value
    assert 1 <= error.batch <= 4 and error.steps == 4 * (error.epoch - 1) + error.batch
    assert not np.isfinite(error.value)
    saved = sorted(p.name for p in tmp_path.glob("epoch_*.weights.h5"))
    assert saved == [f"epoch_{e:04d}.weights.h5" for e in range(1, error.epoch)][-2:]


def test_the_bounded_log_variance_stays_inside_its_limit_and_is_the_identity_near_0():
    layer = BoundedLogVar(10.0)
    x = np.array([[-1e6, -0.01, 0.0, 0.01, 1e6]], "float32")
    y = ops.convert_to_numpy(layer(x))
    assert np.all(np.abs(y) <= 10.0) and np.all(np.isfinite(np.exp(y)))
    np.testing.assert_allclose(y[0, 1:4], x[0, 1:4], atol=1e-6)
    with pytest.raises(ValueError, match="limit must be a positive number"):
        BoundedLogVar(0)


def test_pytorch_fan_in_counts_the_inputs_of_one_output():
    assert pytorch_fan_in((784, 256)) == 784                  # Dense: in
    assert pytorch_fan_in((3, 3, 32, 64)) == 9 * 32           # Conv2D: k k in
    assert pytorch_fan_in((3, 3, 64, 32)) == 9 * 64           # Conv2DTranspose (k, k, out, in)


def test_pytorch_init_draws_kernel_and_bias_within_one_over_root_fan_in():
    model = build_model(chapter_07_runs("quick")[-2])         # the conv VAE, PyTorch's init
    for layer in (model.encoder.get_layer("conv_2"), model.decoder.get_layer("deconv_1")):
        kernel, bias = (ops.convert_to_numpy(v) for v in (layer.kernel, layer.bias))
        bound = 1.0 / math.sqrt(np.prod(kernel.shape[:-1]))
        assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound
        assert np.abs(bias).max() > 0.5 * bound               # biases are not Keras' zeros
        assert kernel.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)  # U(-b, b)
    with pytest.raises(ValueError, match="no Dense or convolution"):
        pytorch_default_init(keras.Sequential([keras.Input((2,)), keras.layers.ReLU()]), 0)


def test_active_units_count_the_units_whose_mean_varies_over_the_images():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 1.0, (500, 3)), rng.normal(0, 0.05, (500, 2))], axis=1)
    np.testing.assert_allclose(unit_activity(z), z.var(0))
    assert active_units(z) == 3
    with pytest.raises(ValueError, match="n >= 2"):
        unit_activity(np.zeros((1, 4)))


def test_mean_kl_per_dimension_sums_to_the_mean_kl(far_mlp_vae):
    x = np.random.default_rng(0).uniform(0, 1, (50, 784)).astype("float32")
    per_dim = mean_kl_per_dimension(far_mlp_vae, x, batch_size=16)
    assert per_dim.sum() == pytest.approx(negative_elbo(far_mlp_vae, x)["kl"], rel=1e-5)
    assert per_dim.min() > 0.1                 # codes far from the prior: every unit pays


def test_image_sharpness_is_0_for_a_flat_image_and_falls_when_an_image_is_blurred():
    edge = np.zeros((1, 28, 28))
    edge[:, :, 14:] = 1.0
    blurred = np.zeros((1, 28, 28))
    blurred[:, :, 13:16] = [1 / 3, 2 / 3, 1.0]
    blurred[:, :, 16:] = 1.0                  # the same step spread over three pixels
    assert image_sharpness(np.full((2, 784), 0.5)) == 0.0
    assert image_sharpness(edge) == pytest.approx(27 / (27 * 27))   # one column of steps of 1
    assert image_sharpness(blurred) == pytest.approx(image_sharpness(edge) / 3)


def test_loss_units_convert_to_nats_per_image_and_back():
    assert to_nats_per_image(0.1, "mean per pixel") == pytest.approx(78.4)
    assert to_nats_per_image(1.0, "bits per dimension") == pytest.approx(784 * math.log(2))
    assert to_nats_per_image(-86.76, "log-likelihood") == pytest.approx(86.76)
    assert from_nats_per_image(78.4, "mean per pixel") == pytest.approx(0.1)
    with pytest.raises(ValueError, match="unknown unit"):
        to_nats_per_image(1.0, "nats per pixel")


def test_an_image_folder_round_trips_and_splits(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 28, 28, 1)) / 255.0
    y = np.arange(30) % 3
    assert write_image_folder(x, y, ("a", "b", "c"), tmp_path / "imgs") == 30
    images = load_image_folder(tmp_path / "imgs")
    assert images.class_names == ("a", "b", "c") and len(images.x) == 30
    order = [int(name.split("/")[1][:5]) for name in images.files]
    np.testing.assert_array_equal(images.x, x[order].astype("float32"))
    data = split_image_folder(images, 10, seed=0)
    assert len(data.x_test) == 10 and len(data.x_train) == 20
    with pytest.raises(FileExistsError, match="exists"):
        write_image_folder(x, y, ("a", "b", "c"), tmp_path / "imgs")
    with pytest.raises(ValueError, match="test_size"):
        split_image_folder(images, 30)


def test_the_nan_runs_are_tiny_and_one_of_each_pair_is_the_remedy():
    probabilities, logits = nan_run("probabilities"), nan_run("logits")
    assert probabilities.learning_rate == logits.learning_rate and probabilities.epochs == 1
    assert nan_run("large_step_bounded").model_args["log_var_limit"] == 10.0
    with pytest.raises(ValueError, match="unknown case"):
        nan_run("other")
    seeded = nan_run("large_step", seed=4)
    assert seeded.seed == seeded.model_args["seed"] == 4 and seeded.name == "nan_large_step_seed4"
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        nan_run("large_step", seed=-1)


def test_a_per_batch_hook_sees_every_step_and_changes_no_update(tiny_run, tiny_flat_data,
                                                                tmp_path):
    run = dataclasses.replace(tiny_run, name="tiny_hooked", epochs=2)
    steps = []
    hooked = train(run, tiny_flat_data, directory=tmp_path / "hooked", log_every=0,
                   on_batch_end=lambda step, model, logs: steps.append((step, logs["loss"])))
    plain = train(run, tiny_flat_data, directory=tmp_path / "plain", log_every=0)
    assert [s for s, _ in steps] == list(range(1, 2 * 4 + 1))  # 256 images, batch 64
    assert steps[3][1] == pytest.approx(hooked.history["loss"][0], rel=1e-6)  # epoch 1's mean
    for a, b in zip(hooked.model.get_weights(), plain.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_with_a_per_batch_hook_the_nan_is_located_to_its_batch(tiny_run, tiny_flat_data,
                                                               tmp_path):
    run = dataclasses.replace(tiny_run, name="tiny_diverging", epochs=3, learning_rate=1e3)
    losses = []
    with pytest.raises(TrainingDiverged) as caught:
        train(run, tiny_flat_data, directory=tmp_path, log_every=0,
              on_batch_end=lambda step, model, logs: losses.append(logs["loss"]))
    first_bad = next(i for i, v in enumerate(losses, start=1) if not np.isfinite(v))
    assert caught.value.steps == first_bad == len(losses)


def test_the_log_variance_watch_records_the_largest_log_variance_and_the_overflow(batch):
    model = build_mlp_vae(hidden_units=(8,), latent_dim=2, seed=0)
    model(batch[:1])
    head = model.encoder.get_layer("z_log_var")
    kernel, _ = head.get_weights()
    watch = LogVarianceWatch(batch)
    head.set_weights([np.zeros_like(kernel), np.array([3.0, -2.0], "float32")])
    watch(1, model, {"loss": 10.0, "kl_loss": 1.0})
    head.set_weights([np.zeros_like(kernel), np.array([-1.0, 95.0], "float32")])
    watch(2, model, {"loss": float("inf")})
    assert [r["max_log_var"] for r in watch.records] == pytest.approx([3.0, 95.0])
    assert watch.records[1]["loss"] == math.inf and math.isnan(watch.records[1]["kl_loss"])
    assert watch.records[0]["kl_loss"] == 1.0 and math.isnan(watch.records[0]["reconstruction_loss"])
    assert watch.first_overflow() == 2
    assert np.isfinite(np.exp(np.float32(FLOAT32_EXP_LIMIT - 0.01)))
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.float32(FLOAT32_EXP_LIMIT + 0.01)))
    with pytest.raises(ValueError, match="probe must be a batch"):
        LogVarianceWatch(np.zeros(784))
