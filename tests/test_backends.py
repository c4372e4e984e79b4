"""A model saved under one Keras backend loads under each other one and gives the same outputs.

For every model of the series, each backend that is installed (this process's and the others,
each in a process of its own with ``KERAS_BACKEND`` set) builds and compiles it, sets its
optimizer's state (step count, Adam's moments) as training would, saves it twice —
the whole compiled model (``.keras``, optimizer state included) and its weights alone
(``.weights.h5``, as published weights are saved) — and records its deterministic outputs: the
codes of fixed images (``encode``) and the pixels decoded from fixed codes (``decode``). Every
other backend loads both files and computes the same outputs; the test compares them with the
saver's, within float32 rounding.

Two extra processes in all: the first other backend saves, waits while the second loads
everything and saves, then loads the second's files; this process loads both at the end.
A backend whose framework is not installed is skipped (``pip install -e '.[jax]'`` or
``'.[torch]'``; ``make test-backends`` installs all three).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from vaetutor._files import save_model_weights
from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
from vaetutor.mlp import build_mlp_vae
from vaetutor.runtime import BACKENDS, describe

#: the series' models, each as the notebooks build it: (builder, input shape of one image)
MODELS = {
    "mlp_vae": (build_mlp_vae, (784,)),             # VAE, analytic KL (notebooks 02, 03)
    "conv_vae": (build_conv_vae, (28, 28, 1)),      # MonteCarloVAE (notebooks 04, 05)
    "conv_mmd_vae": (build_conv_mmd_vae, (28, 28, 1)),  # MMDVAE (notebook 05)
}
N_IMAGES = 16
THIS = keras.backend.backend()
OTHERS = [b for b in BACKENDS if b != THIS]
FRAMEWORK = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def installed(backend: str) -> bool:
    return importlib.util.find_spec(FRAMEWORK[backend]) is not None


def images(shape):
    """``N_IMAGES`` fixed images in [0, 1] of ``shape``, the same in every process."""
    return (np.random.default_rng(0).uniform(size=(N_IMAGES, *shape)) ** 4).astype("float32")


def codes(latent_dim):
    """Fixed codes ``(N_IMAGES, latent_dim)`` from N(0, I), the same in every process."""
    return np.random.default_rng(1).normal(size=(N_IMAGES, latent_dim)).astype("float32")


def outputs(model, shape) -> dict:
    """The model's deterministic outputs: ``encode`` of :func:`images` ``(n, latent_dim)`` and
    ``decode`` of :func:`codes` ``(n, *shape)``."""
    return {"encode": model.encode(images(shape)),
            "decode": model.decode(codes(model.latent_dim))}


def save_models(folder: Path) -> None:
    """Build and compile each model on this backend, give its optimizer a state (a step count
    and moments, as after training), save it both ways and record its outputs."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    for name, (builder, shape) in MODELS.items():
        keras.utils.set_random_seed(0)
        model = builder(seed=0)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model(images(shape)[:1])
        model.optimizer.build(model.trainable_variables)
        for variable in model.optimizer.variables:  # what a few training steps would leave
            value = rng.uniform(size=variable.shape) if variable.shape else 3
            variable.assign(np.asarray(value, dtype=variable.dtype))
        model.save(folder / f"{name}.keras")
        save_model_weights(model, folder / f"{name}.weights.h5")  # weights alone, as published
        optimizer = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
        np.savez(folder / f"{name}.reference.npz", **outputs(model, shape),
                 **{f"optimizer_{i}": v for i, v in enumerate(optimizer)})


def load_models(root: Path, saver: str) -> None:
    """Load every model ``saver`` saved under ``root``, both ways, on this backend; write the
    outputs to ``root/<this backend>/<model>.from_<saver>.npz``."""
    here = root / THIS
    here.mkdir(parents=True, exist_ok=True)
    for name, (builder, shape) in MODELS.items():
        whole = keras.models.load_model(root / saver / f"{name}.keras")
        optimizer = [keras.ops.convert_to_numpy(v) for v in whole.optimizer.variables]
        weights_only = builder()
        weights_only(images(shape)[:1])
        weights_only.load_weights(root / saver / f"{name}.weights.h5")
        np.savez(here / f"{name}.from_{saver}.npz",
                 **{f"keras_{k}": v for k, v in outputs(whole, shape).items()},
                 **{f"weights_{k}": v for k, v in outputs(weights_only, shape).items()},
                 **{f"optimizer_{i}": v for i, v in enumerate(optimizer)})


def child(root: Path, load_first: list[str], wait_then_load: list[str]) -> None:
    """What a process on another backend does (``python tests/test_backends.py``)."""
    print(json.dumps({"backend": THIS, "describe": describe()}), flush=True)
    for saver in load_first:
        load_models(root, saver)
    save_models(root / THIS)
    if wait_then_load:
        print("saved", flush=True)
        sys.stdin.readline()
        for saver in wait_then_load:
            load_models(root, saver)


def _spawn(backend, root, load_first, wait_then_load=()):
    """Start :func:`child` on ``backend``; its stderr goes to a file (a full pipe would stall
    it)."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    argv = [sys.executable, __file__, str(root), ",".join(load_first), ",".join(wait_then_load)]
    with open(root / f"{backend}.stderr", "w") as stderr:
        return subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, text=True)


def _finish(process, backend, root, timeout=300):
    out, _ = process.communicate(timeout=timeout)
    if process.returncode:
        err = (root / f"{backend}.stderr").read_text()
        raise AssertionError(f"the {backend} process failed (exit {process.returncode}):\n"
                             f"{err[-3000:]}")
    return out


@pytest.fixture(scope="module")
def saved_and_loaded(tmp_path_factory):
    """Run the exchange; return ``(root folder, {backend: its describe() line})``."""
    root = tmp_path_factory.mktemp("backends")
    save_models(root / THIS)
    others = [b for b in OTHERS if installed(b)]
    lines = {THIS: describe()}
    if others:
        first = _spawn(others[0], root, [THIS], others[1:])
        if len(others) > 1:
            ready = first.stdout.readline()  # its describe() line
            saved = first.stdout.readline()
            if saved.strip() != "saved":
                _finish(first, others[0], root)
                raise AssertionError(f"the {others[0]} process stopped before saving")
            lines[others[0]] = json.loads(ready)["describe"]
            second = _spawn(others[1], root, [THIS, others[0]])
            out = _finish(second, others[1], root)
            lines[others[1]] = json.loads(out.splitlines()[0])["describe"]
            first.stdin.write("go\n")
            first.stdin.flush()
            _finish(first, others[0], root)
        else:
            out = _finish(first, others[0], root)
            lines[others[0]] = json.loads(out.splitlines()[0])["describe"]
        for saver in others:
            load_models(root, saver)
    return root, lines


PAIRS = [(saver, loader) for saver in BACKENDS for loader in BACKENDS if saver != loader]


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("saver, loader", PAIRS, ids=[f"{s}-to-{l}" for s, l in PAIRS])
def test_a_model_saved_on_one_backend_loads_on_another_with_the_same_outputs(
        saved_and_loaded, model_name, saver, loader):
    for backend in (saver, loader):
        if not installed(backend):
            pytest.skip(f"{backend} is not installed: pip install -e '.[{backend}]' "
                        "(or make test-backends)")
    root, _ = saved_and_loaded
    reference = np.load(root / saver / f"{model_name}.reference.npz")
    loaded = np.load(root / loader / f"{model_name}.from_{saver}.npz")
    where = f"{model_name} saved on {saver}, loaded on {loader}"
    for form in ("keras", "weights"):
        # codes: z_mean (or z) of 16 images; pixels: 16 decoded images in [0, 1]
        np.testing.assert_allclose(loaded[f"{form}_encode"], reference["encode"], rtol=1e-4,
                                   atol=1e-5, err_msg=f"{where} (.{form}): encode differs")
        np.testing.assert_allclose(loaded[f"{form}_decode"], reference["decode"], rtol=0,
                                   atol=1e-5, err_msg=f"{where} (.{form}): decode differs")
    optimizer = sorted(k for k in reference.files if k.startswith("optimizer_"))
    assert sorted(k for k in loaded.files if k.startswith("optimizer_")) == optimizer, where
    for key in optimizer:  # the step count and Adam's moments: training resumes where it was
        np.testing.assert_allclose(loaded[key], reference[key], rtol=1e-6, atol=0,
                                   err_msg=f"{where}: optimizer variable {key} differs")


def test_each_process_runs_on_the_backend_it_was_given(saved_and_loaded):
    _, lines = saved_and_loaded
    for backend, line in lines.items():
        assert f", backend {backend} " in line, line


if __name__ == "__main__":
    folder, first, then = sys.argv[1:4]
    child(Path(folder), [b for b in first.split(",") if b], [b for b in then.split(",") if b])
