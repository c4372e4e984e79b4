"""Which Keras backend and which device a notebook runs on, in one printable line.

    >>> from vaetutor.runtime import describe
    >>> print(describe())  # doctest: +SKIP
    Keras 3.15.1, backend tensorflow 2.21.0, device CPU

The backend is Keras' (``KERAS_BACKEND``, else ``~/.keras/keras.json``; ``make run
BACKEND=jax`` sets it). The device is the one that backend computes on by default: the GPU's
name where the backend sees one (``device GPU (NVIDIA H100 80GB HBM3)``; several are counted),
Apple's Metal GPU on PyTorch (``device GPU (Apple MPS)``), otherwise ``CPU``. A GPU installed
but not seen by the backend (a CPU-only build, missing CUDA libraries) shows as ``CPU``: that is
where the work runs.
"""

from __future__ import annotations

import sys

import keras

BACKENDS = ("tensorflow", "jax", "torch")


def backend_version(backend: str | None = None) -> str:
    """The version of the framework behind Keras' ``backend`` (default: the current one),
    e.g. ``"2.21.0"`` for TensorFlow or ``"2.13.0+cpu"`` for PyTorch."""
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as module
    elif backend == "jax":
        import jax as module
    elif backend == "torch":
        import torch as module
    else:
        raise ValueError(f"unknown Keras backend {backend!r}; expected one of {BACKENDS} "
                         "(set KERAS_BACKEND before importing Keras)")
    return module.__version__


def accelerators(backend: str | None = None) -> list[tuple[str, str]]:
    """The accelerators ``backend`` (default: Keras' current one) computes on, as
    ``(kind, name)`` pairs such as ``("GPU", "NVIDIA H100 80GB HBM3")``; empty on a CPU."""
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_gpus()
    if backend == "jax":
        return _jax_accelerators()
    if backend == "torch":
        return _torch_accelerators()
    raise ValueError(f"unknown Keras backend {backend!r}; expected one of {BACKENDS}")


def device_phrase(found: list[tuple[str, str]]) -> str:
    """``"CPU"``, ``"GPU (name)"``, or ``"2 GPUs (name, name)"`` for the pairs of
    :func:`accelerators`."""
    if not found:
        return "CPU"
    kinds = sorted({kind for kind, _ in found})
    kind = kinds[0] if len(kinds) == 1 else "accelerators"
    names = ", ".join(name for _, name in found)
    return f"{kind} ({names})" if len(found) == 1 else f"{len(found)} {kind}s ({names})"


def describe() -> str:
    """One line naming Keras, its backend with the backend's version, and the device, e.g.
    ``"Keras 3.15.1, backend jax 0.10.2, device CPU"``."""
    backend = keras.backend.backend()
    return (f"Keras {keras.__version__}, backend {backend} {backend_version(backend)}, "
            f"device {device_phrase(accelerators(backend))}")


def _tensorflow_gpus():
    import tensorflow as tf

    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            name = tf.config.experimental.get_device_details(gpu).get("device_name")
        except (ValueError, RuntimeError):
            name = None
        found.append(("GPU", name or gpu.name))
    return found


def _jax_accelerators():
    import jax

    return [(device.platform.upper(), device.device_kind) for device in jax.devices()
            if device.platform != "cpu"]


def _torch_accelerators():
    import torch
    from keras.src.backend.torch.core import get_device

    device = str(get_device())
    if device.startswith("cuda"):
        return [("GPU", torch.cuda.get_device_name(i)) for i in range(torch.cuda.device_count())]
    if device.startswith("mps"):
        return [("GPU", "Apple MPS")]
    if device.startswith("xpu"):
        return [("XPU", torch.xpu.get_device_name(i)) for i in range(torch.xpu.device_count())]
    return []


def main(argv=None) -> int:
    """``python -m vaetutor.runtime [--require-accelerator]``: print :func:`describe`; with the
    flag, exit with status 1 (and say why) when the backend computes on the CPU only."""
    import argparse

    parser = argparse.ArgumentParser(description="Print Keras' backend and device.")
    parser.add_argument("--require-accelerator", action="store_true",
                        help="fail unless the backend sees a GPU (or another accelerator)")
    args = parser.parse_args(argv)
    print(describe())
    if args.require_accelerator and not accelerators():
        backend = keras.backend.backend()
        print(f"error: the {backend} backend sees no GPU, so everything would run on the CPU. "
              "Check that `nvidia-smi` lists the GPU and that the GPU build is installed "
              "(pip install -e '.[gpu]', or make setup-gpu)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
