"""vaetutor.runtime names the backend, its version and the device in one line."""

import importlib.metadata
import importlib.util
from types import SimpleNamespace

import keras
import pytest

from vaetutor import runtime

DISTRIBUTION = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def test_describe_names_keras_the_backend_with_its_installed_version_and_the_device():
    backend = keras.backend.backend()
    installed = importlib.metadata.version(DISTRIBUTION[backend])  # independent of __version__
    device = runtime.device_phrase(runtime.accelerators())
    assert runtime.describe() == (f"Keras {importlib.metadata.version('keras')}, "
                                  f"backend {backend} {installed}, device {device}")


def test_the_device_phrase_is_cpu_or_names_every_accelerator():
    assert runtime.device_phrase([]) == "CPU"
    assert runtime.device_phrase([("GPU", "NVIDIA H100 80GB HBM3")]) == \
        "GPU (NVIDIA H100 80GB HBM3)"
    assert runtime.device_phrase([("GPU", "NVIDIA A10G"), ("GPU", "NVIDIA A10G")]) == \
        "2 GPUs (NVIDIA A10G, NVIDIA A10G)"
    assert runtime.device_phrase([("TPU", "TPU v4")]) == "TPU (TPU v4)"


def test_an_unknown_backend_is_refused_with_the_names_of_the_known_ones():
    with pytest.raises(ValueError, match="expected one of .*tensorflow.*jax.*torch"):
        runtime.backend_version("theano")
    with pytest.raises(ValueError, match="KERAS_BACKEND"):
        runtime.backend_version("mxnet")


def needs(module):
    return pytest.mark.skipif(importlib.util.find_spec(module) is None,
                              reason=f"{module} is not installed")


@needs("tensorflow")
def test_tensorflow_gpus_are_named_from_their_device_details(monkeypatch):
    import tensorflow as tf

    gpu = SimpleNamespace(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [gpu] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda device: {"device_name": "NVIDIA L4", "compute_capability": (8, 9)})
    assert runtime.accelerators("tensorflow") == [("GPU", "NVIDIA L4")]
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert runtime.accelerators("tensorflow") == []


@needs("jax")
def test_jax_accelerators_leave_out_the_cpu(monkeypatch):
    import jax

    monkeypatch.setattr(jax, "devices", lambda: [SimpleNamespace(platform="gpu",
                                                                 device_kind="NVIDIA L4")])
    assert runtime.accelerators("jax") == [("GPU", "NVIDIA L4")]
    monkeypatch.setattr(jax, "devices",
                        lambda: [SimpleNamespace(platform="cpu", device_kind="cpu")])
    assert runtime.accelerators("jax") == []


@pytest.mark.skipif(keras.backend.backend() != "torch",
                    reason="Keras' PyTorch device is read from its torch backend module")
def test_torch_names_the_cuda_devices_keras_computes_on(monkeypatch):
    import torch
    from keras.src.backend.torch import core

    monkeypatch.setattr(core, "get_device", lambda: "cuda")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "NVIDIA L4")
    assert runtime.accelerators("torch") == [("GPU", "NVIDIA L4")]
    monkeypatch.setattr(core, "get_device", lambda: "cpu")
    assert runtime.accelerators("torch") == []
