"""``make bench``'s script: its "kernels alone" run times the models' own layers, its plain-PyTorch
peers are the models and losses of the package, and it runs (the whole run is marked slow)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
from vaetutor.mlp import build_mlp_vae
from vaetutor.vae import MonteCarloVAE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"
spec = importlib.util.spec_from_file_location("bench", SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

BUILDERS = {"mlp_vae": build_mlp_vae, "conv_vae": build_conv_vae, "mmd_vae": build_conv_mmd_vae}
KINDS = {keras.layers.Dense: "dense", keras.layers.Conv2D: "conv",
         keras.layers.Conv2DTranspose: "deconv"}  # subclasses count as their Keras layer


def kernel_layers(model):
    """(kind, input shape, weight shape, output shape) of each layer with a kernel, in order."""
    found = []
    for part in (model.encoder, model.decoder):
        for layer in part.layers:
            kind = next((k for cls, k in KINDS.items() if isinstance(layer, cls)), None)
            if kind:
                found.append((kind, tuple(layer.input.shape[1:]), tuple(layer.kernel.shape),
                              tuple(layer.output.shape[1:])))
    return found


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_kernels_run_is_the_models_layers(name):
    listed = [entry[:4] for entry in bench.KERNELS[name]]
    assert listed == kernel_layers(BUILDERS[name]())
    # the batch size and learning rate of the timed runs are those of the articles
    assert bench.MODELS[name][0] == (128 if name == "mlp_vae" else 100)


def test_the_mlp_flop_count_matches_its_layers():
    forward = sum(2 * w[0] * w[1] for _, _, w, *_ in bench.KERNELS["mlp_vae"])
    assert bench.MLP_FLOPS_PER_SAMPLE == 3 * forward


def needs_torch():
    """The ``torch`` module, or a skip saying how to install it (``make unit BACKEND=torch``
    runs these tests with PyTorch installed)."""
    return pytest.importorskip("torch", reason="the plain-PyTorch peers need PyTorch: "
                                               "pip install -e '.[torch]'")


def torch_peer(name):
    needs_torch()
    return bench.pytorch_model(name)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_pytorch_peers_have_the_models_parameters_and_shapes(name):
    torch = needs_torch()

    peer, model = torch_peer(name), BUILDERS[name]()
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    assert count(peer) == model.encoder.count_params() + model.decoder.count_params()
    if name != "mlp_vae":
        assert count(peer.encoder) == model.encoder.count_params()
        assert count(peer.decoder) == model.decoder.count_params()
    x = torch.rand(3, 784) if name == "mlp_vae" else torch.rand(3, 1, 28, 28)
    outputs = peer(x)
    assert outputs[0].shape == x.shape  # logits or pixels, one per input pixel
    assert all(o.shape == (3, 2) for o in outputs[1:])  # the codes: z (and z_mean, z_log_var)


def test_the_pytorch_mlp_vae_computes_the_package_models_outputs_from_the_same_weights():
    torch = needs_torch()

    peer, model = torch_peer("mlp_vae"), build_mlp_vae()
    encoder = [layer.get_weights() for layer in model.encoder.layers if layer.weights]
    decoder = [layer.get_weights() for layer in model.decoder.layers if layer.weights]
    with torch.no_grad():
        for linear, (kernel, bias) in zip([peer.fc1, peer.fc21, peer.fc22, peer.fc3, peer.fc4],
                                          encoder + decoder):
            linear.weight.copy_(torch.from_numpy(kernel.T))  # Keras (in, out), torch (out, in)
            linear.bias.copy_(torch.from_numpy(bias))
        x = np.random.default_rng(0).uniform(size=(5, 784)).astype("float32")
        z_mean, z_log_var = (keras.ops.convert_to_numpy(t) for t in model.encoder(x))
        mu, logvar = peer.encode(torch.from_numpy(x))
        np.testing.assert_allclose(mu.numpy(), z_mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(logvar.numpy(), z_log_var, rtol=1e-4, atol=1e-5)
        logits = keras.ops.convert_to_numpy(model.decoder(z_mean))
        np.testing.assert_allclose(peer.decode(mu).numpy(), logits, rtol=1e-4, atol=1e-4)


def test_the_pytorch_losses_are_the_packages_losses():
    """Each peer's loss_function, on the same tensors, against vaetutor.losses."""
    torch = needs_torch()

    from vaetutor import losses

    rng = np.random.default_rng(1)
    x = rng.uniform(size=(6, 28, 28, 1)).astype("float32")
    logits, z, mu, logvar = (rng.normal(size=s).astype("float32")
                             for s in [(6, 28, 28, 1), (6, 2), (6, 2), (6, 2)])
    nchw = lambda a: torch.from_numpy(a.transpose(0, 3, 1, 2).copy())  # noqa: E731
    t = torch.from_numpy

    flat_x, flat_logits = x.reshape(6, 784), logits.reshape(6, 784)
    numpy = keras.ops.convert_to_numpy
    expected = np.mean(-numpy(losses.bernoulli_log_likelihood(flat_x, flat_logits))
                       + numpy(losses.kl_to_standard_normal(mu, logvar)))
    got = torch_peer("mlp_vae").loss_function(t(flat_x), t(flat_logits), t(mu), t(logvar))
    assert float(got) == pytest.approx(float(expected), rel=1e-5)

    outputs = {"logits": logits, "z": z, "z_mean": mu, "z_log_var": logvar}
    terms = {k: keras.ops.convert_to_numpy(v) for k, v in
             MonteCarloVAE.loss_terms(None, x, outputs).items()}
    expected = -np.mean(terms["log_px_z"] + terms["log_pz"] - terms["log_qz_x"])
    got = torch_peer("conv_vae").loss_function(nchw(x), nchw(logits), t(z), t(mu), t(logvar))
    assert float(got) == pytest.approx(float(expected), rel=1e-5)

    # the MMD-VAE's loss draws its prior sample inside: fix torch's seed and draw it the same way
    pixels = 1 / (1 + np.exp(-logits))
    mmd_vae = torch_peer("mmd_vae")
    torch.manual_seed(3)
    prior = torch.randn_like(t(z)).numpy()
    torch.manual_seed(3)
    got = mmd_vae.loss_function(nchw(x), nchw(pixels), t(z))
    expected = (np.mean(keras.ops.convert_to_numpy(losses.squared_error_per_pixel(x, pixels)))
                + float(keras.ops.convert_to_numpy(losses.maximum_mean_discrepancy(prior, z))))
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_a_pytorch_measurement_prints_its_rates(capsys):
    torch_peer("mlp_vae")
    bench.main(["--measure", "mlp_vae", "pytorch", "--steps", "4", "--chunks", "2",
                "--warmup", "1"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["best"] >= result["median"] > 0
    assert "torch.optim.Adam" in result["settings"]


def test_each_implementation_runs_on_its_backend():
    backends = {name: backend for name, (backend, _) in bench.IMPLEMENTATIONS.items()}
    assert backends["usual"] == backends["kernels"] == "tensorflow"
    assert [backends[f"vaetutor-{b}"] for b in ("tensorflow", "jax", "torch")] == \
        ["tensorflow", "jax", "torch"]


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the 'usual' version is written with TensorFlow's GradientTape")
def test_the_benchmark_runs_and_prints_every_figure():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--models", "mlp_vae", "--steps", "4", "--chunks", "2",
         "--warmup", "1", "--repeats", "1"],
        capture_output=True, text=True, check=True, timeout=900).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("mlp_vae ")]
    assert [row[1] for row in rows] == list(bench.IMPLEMENTATIONS)
    for row in rows:
        best, typical, seconds_per_epoch = map(float, row[2:5])
        assert best >= typical > 0
        assert seconds_per_epoch == pytest.approx(60000 / best, rel=0.01, abs=0.01)
    assert "speed relative to usual" in out
    assert "the package is fastest on" in out
    assert "GFLOP/s" in out and "s/epoch as a multiple of that floor" in out
