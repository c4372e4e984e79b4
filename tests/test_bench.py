"""``make bench``'s script: its "kernels alone" run times the models' own layers, and it runs."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
from vaetutor.mlp import build_mlp_vae

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"
spec = importlib.util.spec_from_file_location("bench", SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

BUILDERS = {"mlp_vae": build_mlp_vae, "conv_vae": build_conv_vae, "mmd_vae": build_conv_mmd_vae}
KINDS = {keras.layers.Dense: "dense", keras.layers.Conv2D: "conv",
         keras.layers.Conv2DTranspose: "deconv"}


def kernel_layers(model):
    """(kind, input shape, weight shape, output shape) of each layer with a kernel, in order."""
    found = []
    for part in (model.encoder, model.decoder):
        for layer in part.layers:
            kind = KINDS.get(type(layer))
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


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the 'usual' version is written with TensorFlow's GradientTape")
def test_the_benchmark_runs_and_prints_every_figure():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--models", "mlp_vae", "--steps", "8", "--chunks", "2",
         "--warmup", "2", "--repeats", "1"],
        capture_output=True, text=True, check=True, timeout=600).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("mlp_vae ")]
    assert [row[1] for row in rows] == ["usual", "plain", "vaetutor", "kernels"]
    for row in rows:
        best, typical, seconds_per_epoch = map(float, row[2:5])
        assert best >= typical > 0
        assert seconds_per_epoch == pytest.approx(60000 / best, rel=0.01, abs=0.01)
    assert "speed relative to usual" in out
    assert "GFLOP/s" in out and "x that bound" in out
