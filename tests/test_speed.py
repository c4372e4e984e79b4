"""The speed-ups of vaetutor.speed change nothing but the speed."""

import keras
import numpy as np
import pytest

from vaetutor import speed
from vaetutor.conv import build_conv_vae
from vaetutor.mlp import build_mlp_vae
from vaetutor.seeding import seed_everything
from vaetutor.speed import (STEPS_PER_EXECUTION, FusedAdam, compile_for_training,
                            default_steps_per_execution, eligible_for_matmul, fast_optimizer,
                            sub_pixel_conv_transpose, sub_pixel_is_faster,
                            transposed_convolutions_as_matmul)

TENSORFLOW = keras.backend.backend() == "tensorflow"


def images(shape, seed=0):
    return (np.random.default_rng(seed).uniform(size=shape) ** 4).astype("float32")


def train(builder, x, plain, steps_per_execution=None, epochs=2):
    """Seed, build, compile and fit; ``plain``: Keras' own compile (no speed-ups)."""
    seed_everything(0)
    model = builder()
    if plain:
        keras.Model.compile(model, optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=1)
    elif steps_per_execution is None:
        compile_for_training(model, keras.optimizers.Adam(1e-3))
    else:
        compile_for_training(model, keras.optimizers.Adam(1e-3),
                             steps_per_execution=steps_per_execution)
    seed_everything(1)
    history = model.fit(x, batch_size=32, epochs=epochs, shuffle=True, verbose=0,
                        validation_data=(x[:64],))
    return model, history.history


def test_compile_for_training_applies_the_speed_ups_and_respects_explicit_settings():
    model = build_mlp_vae(hidden_units=(8,))
    compile_for_training(model, keras.optimizers.Adam(1e-3))
    assert model.steps_per_execution == default_steps_per_execution()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert isinstance(model.optimizer, FusedAdam) == TENSORFLOW
    model = build_mlp_vae(hidden_units=(8,))
    sgd = keras.optimizers.SGD(1e-2)
    compile_for_training(model, sgd, steps_per_execution=1)
    assert model.steps_per_execution == 1 and model.optimizer is sgd


def test_fast_optimizer_keeps_every_setting_and_leaves_other_optimizers_alone():
    adam = keras.optimizers.Adam(3e-4, beta_1=0.8, beta_2=0.99, epsilon=1e-6, clipnorm=1.0)
    fast = fast_optimizer(adam)
    if TENSORFLOW:
        assert type(fast) is FusedAdam
        assert fast.get_config() == adam.get_config()
    else:
        assert fast is adam
    rmsprop = keras.optimizers.RMSprop()
    assert fast_optimizer(rmsprop) is rmsprop
    from_string = fast_optimizer("adam")
    assert isinstance(from_string, keras.optimizers.Adam)
    assert isinstance(from_string, FusedAdam) == TENSORFLOW
    assert isinstance(fast_optimizer("sgd"), keras.optimizers.SGD)


def test_a_saved_model_reloads_compiled_as_it_was(tmp_path):
    x = images((64, 784))
    model, _ = train(lambda: build_mlp_vae(hidden_units=(8,), seed=1), x, plain=False, epochs=1)
    model.save(tmp_path / "vae.keras")
    loaded = keras.models.load_model(tmp_path / "vae.keras")
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.steps_per_execution == model.steps_per_execution
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables) > 2
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def numpy_adam(w, gradients, lr, beta_1, beta_2, epsilon):
    """Adam in float64, written from the formula of Kingma & Ba (Keras' placement of epsilon)."""
    w = w.astype("float64")
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(gradients, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        w = w - lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)
    return w


@pytest.mark.parametrize("optimizer_class", [FusedAdam, keras.optimizers.Adam],
                         ids=["fused", "keras"])
def test_adam_updates_match_the_formula(optimizer_class):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(50, 20)).astype("float32")
    gradients = [rng.normal(scale=s, size=(50, 20)).astype("float32")
                 for s in (1.0, 0.1, 2.0, 1e-3, 0.5)]
    w = keras.Variable(start)
    optimizer = optimizer_class(learning_rate=1e-2, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    for g in gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), w)])
    expected = numpy_adam(start, gradients, 1e-2, 0.9, 0.999, 1e-7)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(w), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("builder, shape", [
    (lambda: build_mlp_vae(hidden_units=(32,), seed=1), (320, 784)),
    (lambda: build_conv_vae(seed=1), (96, 28, 28, 1)),
], ids=["mlp", "conv"])
@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="Keras' PyTorch trainer runs one step per call")
def test_steps_per_execution_gives_bit_identical_training(builder, shape):
    x = images(shape)
    # 4 steps a call over 10 (or 3) batches an epoch: full calls and a shorter last one
    one, one_history = train(builder, x, plain=False, steps_per_execution=1)
    four, four_history = train(builder, x, plain=False, steps_per_execution=4)
    assert four.steps_per_execution == 4
    assert one_history == four_history
    for a, b in zip(one.get_weights(), four.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("builder, shape", [
    (lambda: build_mlp_vae(hidden_units=(32,), seed=1), (640, 784)),
    (lambda: build_conv_vae(seed=1), (96, 28, 28, 1)),
], ids=["mlp", "conv"])
def test_same_seed_same_losses_with_and_without_the_speed_ups(builder, shape):
    x = images(shape)
    _, plain = train(builder, x, plain=True, epochs=3)
    fast_model, fast = train(builder, x, plain=False, epochs=3)
    assert fast_model.steps_per_execution == default_steps_per_execution()
    assert plain.keys() == fast.keys()
    for name in plain:
        np.testing.assert_allclose(fast[name], plain[name], rtol=1e-4, err_msg=name)


def test_a_checkpoint_of_keras_adam_resumes_with_the_fused_adam(tmp_path):
    x = images((64, 784))
    before, _ = train(lambda: build_mlp_vae(hidden_units=(8,), seed=1), x, plain=True, epochs=1)
    before.save_weights(tmp_path / "run.weights.h5")
    after = build_mlp_vae(hidden_units=(8,), seed=1)
    after.compile(optimizer=keras.optimizers.Adam(1e-3))
    after(x[:1])
    after.optimizer.build(after.trainable_variables)
    after.load_weights(tmp_path / "run.weights.h5")
    saved = [keras.ops.convert_to_numpy(v) for v in before.optimizer.variables]
    loaded = [keras.ops.convert_to_numpy(v) for v in after.optimizer.variables]
    assert len(saved) == len(loaded) > 2
    for a, b in zip(saved, loaded):
        np.testing.assert_array_equal(a, b)


def test_the_default_number_of_steps_per_call():
    expected = 1 if keras.backend.backend() == "torch" else STEPS_PER_EXECUTION
    assert default_steps_per_execution() == expected


def test_each_backend_gets_its_own_defaults():
    # TensorFlow and JAX: several steps a call; PyTorch: Keras' trainer runs one step a call
    assert default_steps_per_execution("tensorflow") == STEPS_PER_EXECUTION
    assert default_steps_per_execution("jax") == STEPS_PER_EXECUTION
    assert default_steps_per_execution("torch") == 1
    with pytest.raises(ValueError, match="expected tensorflow, jax or torch"):
        default_steps_per_execution("theano")
    # the fused Adam kernel is TensorFlow's: on the other backends Keras' Adam stays
    adam = keras.optimizers.Adam(1e-3)
    assert (type(fast_optimizer(adam)) is FusedAdam) == TENSORFLOW


def transposed_convolution_by_definition(x, kernel):
    """Stride 2, "same": input pixel (i, j) adds x[i, j] kernel[k, l] to output pixel
    (2i + k, 2j + l); outputs beyond (2h, 2w) are cropped. NumPy loops, independent of Keras."""
    n, h, w, _ = x.shape
    out = np.zeros((n, 2 * h + 1, 2 * w + 1, kernel.shape[2]))
    for i in range(h):
        for j in range(w):
            for k in range(3):
                for l in range(3):
                    out[:, 2 * i + k, 2 * j + l] += x[:, i, j] @ kernel[k, l].T
    return out[:, :2 * h, :2 * w]


def test_sub_pixel_conv_transpose_is_the_strided_transposed_convolution():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 7, 3)).astype("float32")  # odd, unequal height and width
    kernel = rng.standard_normal((3, 3, 4, 3)).astype("float32")
    expected = transposed_convolution_by_definition(x.astype("float64"), kernel.astype("float64"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(sub_pixel_conv_transpose(x, kernel)),
                               expected, rtol=1e-5, atol=1e-5)
    # Keras' own layer computes the same (so the definition above is Keras' convention).
    keras_output = keras.ops.conv_transpose(x, kernel, strides=2, padding="same")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_output), expected,
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"kernel must have shape \(3, 3, c_out, 3\)"):
        sub_pixel_conv_transpose(x, kernel[:2])


@pytest.mark.parametrize("strides", [2, 1])
def test_the_matmul_layer_is_keras_layer_with_the_same_weights(strides):
    """The matrix form in training for stride 2; stride 1 falls back to Keras' layer."""
    x = images((3, 7, 7, 5), seed=2) - 0.3
    reference = keras.layers.Conv2DTranspose(4, 3, strides=strides, padding="same",
                                             activation="relu")
    layer = speed.MatmulConv2DTranspose(4, 3, strides=strides, padding="same",
                                        activation="relu")
    reference(x), layer(x)
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in reference.get_weights()]
    reference.set_weights(weights)
    layer.set_weights(weights)
    assert eligible_for_matmul(layer) == (strides == 2)
    expected = keras.ops.convert_to_numpy(reference(x))
    assert (expected > 0).mean() > 0.2  # the bias and ReLU matter here
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected,
                               rtol=1e-5, atol=1e-5)


def test_the_sub_pixel_path_is_used_on_jax_on_a_cpu_only():
    assert not sub_pixel_is_faster("tensorflow") and not sub_pixel_is_faster("torch")
    if keras.backend.backend() == "jax":
        import jax

        assert sub_pixel_is_faster() == (jax.default_backend() == "cpu")


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="compares JAX gradients")
def test_sub_pixel_gradients_are_those_of_the_transposed_convolution():
    import jax

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 7, 6)).astype("float32")
    kernel = rng.standard_normal((3, 3, 4, 6)).astype("float32")
    target = rng.standard_normal((2, 14, 14, 4)).astype("float32")

    def loss(conv):
        return lambda x, kernel: ((conv(x, kernel) - target) ** 2).sum()

    def keras_conv(x, kernel):
        return keras.ops.conv_transpose(x, kernel, strides=2, padding="same")

    expected = jax.grad(loss(keras_conv), argnums=(0, 1))(x, kernel)
    actual = jax.grad(loss(sub_pixel_conv_transpose), argnums=(0, 1))(x, kernel)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-4, atol=1e-3)


def test_fit_inside_the_engines_switch_trains_the_conv_decoder_as_matmul(monkeypatch, tmp_path):
    """Inside :func:`transposed_convolutions_as_matmul` (forced on here for every backend)
    ``fit`` trains deconv_1 and deconv_2 through the matrix form; evaluation's forward passes
    and everything after the switch closes use Keras' own layer, whose weight files load into a
    model built anew."""
    calls = []
    original = speed.sub_pixel_conv_transpose
    monkeypatch.setattr(speed, "sub_pixel_conv_transpose",
                        lambda x, kernel: calls.append(tuple(kernel.shape)) or original(x, kernel))
    model = build_conv_vae(seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = images((8, 28, 28, 1))
    with transposed_convolutions_as_matmul(model, enabled=True) as lent:
        assert lent == 2
        model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert set(calls) == {(3, 3, 64, 32), (3, 3, 32, 64)}  # deconv_1 and deconv_2
    kinds = {type(layer) for layer in model.decoder.layers}
    assert speed.MatmulConv2DTranspose not in kinds and keras.layers.Conv2DTranspose in kinds
    calls.clear()
    model.decode(np.zeros((4, 2), "float32"))
    assert calls == []
    model.save_weights(tmp_path / "conv.weights.h5")
    again = build_conv_vae(seed=1)
    again(x[:1])
    again.load_weights(tmp_path / "conv.weights.h5")
    np.testing.assert_array_equal(again.decode(np.ones((2, 2), "float32")),
                                  model.decode(np.ones((2, 2), "float32")))


def test_the_switch_changes_nothing_where_the_matmul_form_is_not_faster():
    model = build_conv_vae(seed=0)
    with transposed_convolutions_as_matmul(model, enabled=False) as lent:
        assert lent == 0
        assert speed.MatmulConv2DTranspose not in {type(l) for l in model.decoder.layers}
