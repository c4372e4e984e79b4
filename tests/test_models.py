"""Sampling layer, MLP encoder/decoder, the VAE's loss against NumPy, and what every model
shares (compile's speed-ups, input checks, training and saving)."""

import numpy as np
import pytest
import keras
from keras import ops

from vaetutor.layers import Sampling
from vaetutor.mlp import build_mlp_decoder, build_mlp_encoder, build_mlp_vae
from vaetutor.seeding import seed_everything


def fixed_batch(n=256, seed=0):
    """Blurry random strokes in [0, 1]: learnable structure without loading MNIST."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), "float32")
    for i in range(n):
        row = rng.integers(4, 24)
        images[i, row - 2:row + 2, 4:24] = 1.0
    return images.reshape(n, 784)


def test_sampling_draws_from_the_encoder_gaussian():
    n = 50_000
    z_mean = np.tile(np.array([[1.5, -2.0]], "float32"), (n, 1))
    z_log_var = np.tile(np.array([[0.0, np.log(0.25)]], "float32"), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=3)([z_mean, z_log_var]))
    assert z.shape == (n, 2)
    np.testing.assert_allclose(z.mean(0), [1.5, -2.0], atol=4 * 1.0 / np.sqrt(n) * 1.5)
    np.testing.assert_allclose(z.std(0), [1.0, 0.5], rtol=0.02)


def test_sampling_with_the_same_seed_repeats_its_draws():
    zeros = np.zeros((4, 2), "float32")
    a = ops.convert_to_numpy(Sampling(seed=7)([zeros, zeros]))
    b = ops.convert_to_numpy(Sampling(seed=7)([zeros, zeros]))
    c = ops.convert_to_numpy(Sampling(seed=8)([zeros, zeros]))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_mlp_shapes_and_parameter_counts():
    encoder, decoder = build_mlp_encoder(), build_mlp_decoder()
    z_mean, z_log_var = encoder(np.zeros((3, 784), "float32"))
    assert z_mean.shape == (3, 2) and z_log_var.shape == (3, 2)
    assert decoder(np.zeros((3, 2), "float32")).shape == (3, 784)
    # Dense(784->512) + two Dense(512->2) heads; Dense(2->512) + Dense(512->784)
    assert encoder.count_params() == (784 * 512 + 512) + 2 * (512 * 2 + 2)
    assert decoder.count_params() == (2 * 512 + 512) + (512 * 784 + 784)


def test_mlp_sizes_are_configurable():
    vae = build_mlp_vae(hidden_units=(256, 64), latent_dim=5)
    out = vae(np.zeros((2, 784), "float32"))
    assert out["z_mean"].shape == (2, 5) and out["logits"].shape == (2, 784)
    with pytest.raises(ValueError, match="latent_dim"):
        build_mlp_encoder(latent_dim=0)


def numpy_bernoulli_nll(x, logits):
    """-log p(x|z), summed over pixels: binary cross-entropy from log sigmoid, in float64."""
    x, logits = np.asarray(x, "float64"), np.asarray(logits, "float64")
    log_p, log_not_p = -np.logaddexp(0, -logits), -np.logaddexp(0, logits)
    return -np.sum(x * log_p + (1 - x) * log_not_p, axis=tuple(range(1, x.ndim)))


def numpy_kl(z_mean, z_log_var):
    """KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2)/2 - 1/2, summed over dimensions."""
    m, s = np.asarray(z_mean, "float64"), np.exp(0.5 * np.asarray(z_log_var, "float64"))
    return np.sum(np.log(1 / s) + (s**2 + m**2) / 2 - 0.5, axis=-1)


def as_numpy(outputs):
    return {k: ops.convert_to_numpy(v).astype("float64") for k, v in outputs.items()}


@pytest.mark.parametrize("c", [0.0, 1.0, 20.0])
def test_vae_loss_terms_match_numpy_on_codes_far_from_the_prior(far_mlp_vae, c):
    from vaetutor.vae import VAE

    vae = VAE(far_mlp_vae.encoder, far_mlp_vae.decoder, kl_weight=c)
    x = fixed_batch(16)
    outputs = vae(x)
    terms, out = as_numpy(vae.loss_terms(x, outputs)), as_numpy(outputs)
    assert terms["kl_loss"].shape == (16,)
    kl = numpy_kl(out["z_mean"], out["z_log_var"])
    assert kl.min() > 8  # far from the prior: a wrong sign or variance would show
    np.testing.assert_allclose(terms["kl_loss"], kl, rtol=1e-5)
    recon = numpy_bernoulli_nll(x, out["logits"])
    np.testing.assert_allclose(terms["reconstruction_loss"], recon, rtol=1e-5)
    np.testing.assert_allclose(terms["loss"], recon + c * kl, rtol=1e-5)
    loss = float(ops.convert_to_numpy(vae.compute_loss(x=x, y_pred=outputs)))
    np.testing.assert_allclose(loss, np.mean(recon + c * kl), rtol=1e-5)


def test_the_vae_samples_codes_with_the_encoders_mean_and_standard_deviation(far_mlp_vae):
    x = np.repeat(fixed_batch(1), 20_000, axis=0)
    out = as_numpy(far_mlp_vae(x))
    sd = np.exp(0.5 * out["z_log_var"][0])  # about 0.37 and 0.29
    np.testing.assert_allclose(out["z"].mean(0), out["z_mean"][0], atol=4 * sd.max() / np.sqrt(len(x)))
    np.testing.assert_allclose(out["z"].std(0), sd, rtol=0.03)


@pytest.mark.parametrize("bad, message", [
    (-1.0, "kl_weight must be a finite number >= 0; got -1.0"),
    (float("inf"), "kl_weight must be a finite number >= 0"),
    ("1", "kl_weight must be a number >= 0 .* got '1' of type str"),
    (True, "of type bool"),
])
def test_a_kl_weight_that_is_not_a_number_at_least_0_is_rejected(bad, message):
    with pytest.raises(ValueError, match=message):
        build_mlp_vae(kl_weight=bad)


def test_a_models_compile_is_keras_own_and_the_engine_adds_the_speedups(tiny_run):
    from vaetutor.speed import FusedAdam
    from vaetutor.training import compile_for_run

    plain = build_mlp_vae(hidden_units=(8,))
    plain.compile(optimizer=keras.optimizers.Adam(1e-3))
    # (on PyTorch, keras.optimizers.Adam builds Keras' torch subclass of Adam)
    assert isinstance(plain.optimizer, keras.optimizers.Adam)
    assert not isinstance(plain.optimizer, FusedAdam) and plain.steps_per_execution == 1
    fast = build_mlp_vae(hidden_units=(8,))
    compile_for_run(fast, tiny_run)
    on_tensorflow = keras.backend.backend() == "tensorflow"
    assert isinstance(fast.optimizer, keras.optimizers.Adam)
    assert isinstance(fast.optimizer, FusedAdam) == on_tensorflow
    assert fast.steps_per_execution == (1 if keras.backend.backend() == "torch" else 32)
    assert float(fast.optimizer.learning_rate) == pytest.approx(tiny_run.learning_rate)


def test_a_few_optimiser_steps_lower_the_loss_on_a_fixed_batch():
    seed_everything(0)
    x = fixed_batch()
    vae = build_mlp_vae(seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)
    for _ in range(20):
        vae.train_on_batch(x)
    after = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)
    assert set(after) >= {"loss", "reconstruction_loss", "kl_loss"}
    assert after["loss"] < 0.7 * before["loss"], (before, after)
    np.testing.assert_allclose(after["loss"], after["reconstruction_loss"] + after["kl_loss"],
                               rtol=1e-4)


def test_fit_reports_the_three_metrics_for_training_and_validation():
    seed_everything(0)
    x = fixed_batch(128)
    vae = build_mlp_vae(seed=0)
    vae.compile(optimizer="adam")
    history = vae.fit(x, batch_size=64, epochs=1, validation_data=(x,), verbose=0)
    for name in ("loss", "reconstruction_loss", "kl_loss"):
        assert name in history.history and f"val_{name}" in history.history


def test_saved_and_reloaded_model_gives_identical_outputs(tmp_path):
    seed_everything(1)
    x = fixed_batch(64)
    vae = build_mlp_vae(kl_weight=0.5, seed=4)
    vae.compile(optimizer="adam")
    vae.fit(x, batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, type(vae)) and loaded.kl_weight == 0.5
    np.testing.assert_array_equal(loaded.encode(x), vae.encode(x))
    z = np.random.default_rng(0).normal(size=(10, 2)).astype("float32")
    np.testing.assert_array_equal(loaded.decode(z), vae.decode(z))
    loaded.fit(x, batch_size=32, epochs=1, verbose=0)  # still trainable after loading


def test_same_seed_gives_the_same_training_losses():
    def run():
        seed_everything(123)
        vae = build_mlp_vae()
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        return vae.fit(fixed_batch(128), batch_size=32, epochs=2, verbose=0).history["loss"]

    assert run() == run()


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((4, 784), 255.0), "divide uint8 images by 255"),
        (np.full((4, 28, 28), 0.5), r"shape \(n, 784\)"),
        (np.full((4, 784), np.nan), "NaN"),
        (np.full((4, 784), -0.5), r"\[0, 1\]"),
    ],
)
def test_fit_rejects_bad_images_with_a_clear_message(bad, message):
    vae = build_mlp_vae()
    vae.compile(optimizer="adam")
    with pytest.raises(ValueError, match=message):
        vae.fit(bad.astype("float32"), epochs=1, verbose=0)


def test_fit_on_no_images_is_an_error_not_a_silent_no_op():
    vae = build_mlp_vae(hidden_units=(8,))
    vae.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"x holds no images \(shape \(0, 784\)\)"):
        vae.fit(np.zeros((0, 784), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation x holds no images"):
        vae.fit(fixed_batch(8), epochs=1, verbose=0,
                validation_data=(np.zeros((0, 784), "float32"),))


def test_decode_rejects_codes_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"z must have shape \(n, 2\)"):
        build_mlp_vae().decode(np.zeros((3, 5)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_decode_rejects_codes_that_are_not_finite(bad):
    z = np.zeros((3, 2), "float32")
    z[1, 0] = bad
    with pytest.raises(ValueError, match="z contains 1 NaN or infinite values"):
        build_mlp_vae(hidden_units=(8,)).decode(z)
