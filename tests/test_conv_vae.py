"""The convolutional VAE and its Monte-Carlo ELBO."""

import math
from statistics import NormalDist

import keras
import numpy as np
import pytest
from keras import ops

from vaetutor.conv import build_conv_decoder, build_conv_encoder, build_conv_vae
from vaetutor.seeding import seed_everything


def images(n=64, seed=0):
    return (np.random.default_rng(seed).uniform(size=(n, 28, 28, 1)) ** 4).astype("float32")


def test_conv_encoder_and_decoder_shapes_and_parameter_counts():
    encoder, decoder = build_conv_encoder(latent_dim=2), build_conv_decoder(latent_dim=2)
    z_mean, z_log_var = encoder(images(3))
    assert z_mean.shape == (3, 2) and z_log_var.shape == (3, 2)
    assert decoder(np.zeros((3, 2), "float32")).shape == (3, 28, 28, 1)
    # conv 3x3x1x32+32, conv 3x3x32x64+64, dense (6*6*64)x4+4
    assert encoder.count_params() == 320 + 18_496 + 9_220
    # dense 2x1568+1568, convT 3x3x32x64+64, convT 3x3x64x32+32, convT 3x3x32x1+1
    assert decoder.count_params() == 4_704 + 18_496 + 18_464 + 289


def test_conv_sizes_follow_latent_dim_and_sigmoid_option():
    encoder = build_conv_encoder(latent_dim=5)
    assert encoder(images(2))[0].shape == (2, 5)
    out = ops.convert_to_numpy(build_conv_decoder(5, final_activation="sigmoid")(
        np.random.default_rng(0).normal(size=(4, 5)).astype("float32")))
    assert out.shape == (4, 28, 28, 1) and out.min() > 0 and out.max() < 1
    with pytest.raises(ValueError, match="latent_dim"):
        build_conv_decoder(latent_dim=0)


def test_monte_carlo_loss_terms_match_independent_computations():
    rng = np.random.default_rng(1)
    x = (rng.uniform(size=(3, 28, 28, 1)) > 0.5).astype("float32")
    logits = rng.normal(size=(3, 28, 28, 1)).astype("float32")
    z_mean, z_log_var, z = (rng.normal(size=(3, 2)).astype("float32") for _ in range(3))
    outputs = {"z": z, "logits": logits, "z_mean": z_mean, "z_log_var": z_log_var}
    terms = {k: ops.convert_to_numpy(v) for k, v in
             build_conv_vae(seed=0).loss_terms(x, outputs).items()}
    p = 1 / (1 + np.exp(-logits.astype("float64")))
    log_px_z = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    log_pz = [sum(math.log(NormalDist().pdf(v)) for v in row) for row in z]
    log_qz_x = [sum(math.log(NormalDist(m, math.exp(lv / 2)).pdf(v)) for v, m, lv in zip(*r))
                for r in zip(z, z_mean, z_log_var)]
    np.testing.assert_allclose(terms["log_px_z"], log_px_z, rtol=1e-5)
    np.testing.assert_allclose(terms["log_pz"], log_pz, rtol=1e-5)
    np.testing.assert_allclose(terms["log_qz_x"], log_qz_x, rtol=1e-5)
    np.testing.assert_allclose(terms["loss"], -(log_px_z + np.array(log_pz) - log_qz_x), rtol=1e-5)


def numpy_normal_log_density(z, mean, sd):
    """Sum over dimensions of log N(z; mean, sd^2), in float64."""
    z, mean, sd = (np.asarray(a, "float64") for a in (z, mean, sd))
    return np.sum(-0.5 * ((z - mean) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi), -1)


def test_monte_carlo_vae_loss_terms_match_numpy_on_codes_far_from_the_prior(far_conv_vae):
    x = images(8)
    outputs = far_conv_vae(x)
    out = {k: ops.convert_to_numpy(v).astype("float64") for k, v in outputs.items()}
    terms = {k: ops.convert_to_numpy(v).astype("float64")
             for k, v in far_conv_vae.loss_terms(x, outputs).items()}
    assert set(terms) == {"loss", *far_conv_vae.TERMS} and terms["loss"].shape == (8,)
    sd = np.exp(0.5 * out["z_log_var"])
    assert np.all(np.abs(out["z_mean"]) > 2) and np.all(sd < 0.5)  # far from N(0, I)
    logits = out["logits"]
    log_px_z = np.sum(x * -np.logaddexp(0, -logits) + (1 - x) * -np.logaddexp(0, logits),
                      axis=(1, 2, 3))
    log_pz = numpy_normal_log_density(out["z"], 0.0, 1.0)
    log_qz_x = numpy_normal_log_density(out["z"], out["z_mean"], sd)
    np.testing.assert_allclose(terms["log_px_z"], log_px_z, rtol=1e-5)
    np.testing.assert_allclose(terms["log_pz"], log_pz, rtol=1e-5)
    np.testing.assert_allclose(terms["log_qz_x"], log_qz_x, rtol=1e-5)
    np.testing.assert_allclose(terms["loss"], -(log_px_z + log_pz - log_qz_x), rtol=1e-5)
    loss = float(ops.convert_to_numpy(far_conv_vae.compute_loss(x=x, y_pred=outputs)))
    np.testing.assert_allclose(loss, -np.mean(log_px_z + log_pz - log_qz_x), rtol=1e-5)


def test_monte_carlo_kl_of_the_model_averages_to_the_analytic_kl(far_conv_vae):
    """Over many draws of z (the model's own sampling), log q(z|x) - log p(z) of one image
    averages to its closed-form KL (large here), within 4 standard errors."""
    x = np.repeat(images(1), 1000, axis=0)
    outputs = far_conv_vae(x)
    terms = {k: ops.convert_to_numpy(v).astype("float64")
             for k, v in far_conv_vae.loss_terms(x, outputs).items()}
    m = ops.convert_to_numpy(outputs["z_mean"])[0].astype("float64")
    s = np.exp(0.5 * ops.convert_to_numpy(outputs["z_log_var"])[0].astype("float64"))
    kl = float(np.sum(np.log(1 / s) + (s**2 + m**2) / 2 - 0.5))
    assert kl > 8
    draws = terms["log_qz_x"] - terms["log_pz"]
    standard_error = draws.std(ddof=1) / math.sqrt(len(draws))
    assert abs(draws.mean() - kl) < 4 * standard_error, (draws.mean(), kl, standard_error)


def test_conv_vae_trains_reports_the_article_metrics_and_reloads(tmp_path):
    seed_everything(0)
    x = images(128)
    vae = build_conv_vae(seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    history = vae.fit(x, batch_size=32, epochs=4, verbose=0, validation_data=(x,))
    assert set(history.history) == {"loss", "log_px_z", "log_pz", "log_qz_x",
                                    "val_loss", "val_log_px_z", "val_log_pz", "val_log_qz_x"}
    after = vae.evaluate(x, batch_size=128, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"] - 20
    np.testing.assert_allclose(after["loss"],
                               -(after["log_px_z"] + after["log_pz"] - after["log_qz_x"]),
                               rtol=1e-4)
    vae.save(tmp_path / "conv.keras")
    loaded = keras.models.load_model(tmp_path / "conv.keras")
    assert type(loaded).__name__ == "MonteCarloVAE"
    np.testing.assert_array_equal(loaded.encode(x), vae.encode(x))
    with pytest.raises(ValueError, match=r"\(n, 28, 28, 1\)"):
        vae.fit(x.reshape(128, 784), epochs=1, verbose=0)
