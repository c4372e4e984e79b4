"""PyTorch's default initialisation, for Keras layers (notebook 07's "it learns so slowly").

Keras initialises Dense and convolution kernels Glorot-uniform, U(-a, a) with
a = sqrt(6 / (fan_in + fan_out)), and biases at zero. PyTorch's ``nn.Linear``, ``nn.Conv2d`` and
``nn.ConvTranspose2d`` draw both kernel and bias from U(-b, b) with b = 1 / sqrt(fan_in)
(its ``kaiming_uniform_(a=sqrt(5))`` works out to that bound). fan_in is the number of inputs
that feed one output: ``in_features`` for a dense layer, ``k * k * in_channels`` for a
convolution, and ``k * k * out_channels`` for a transposed convolution, whose weight PyTorch
stores as (in, out, k, k) and Keras as (k, k, out, in): both count the second-to-last Keras
axis.
"""

from __future__ import annotations

import math

import keras
import numpy as np

#: the layers whose kernel and bias PyTorch initialises from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
LAYER_TYPES = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)


def pytorch_fan_in(kernel_shape) -> int:
    """fan_in of a Keras kernel as PyTorch counts it: the product of all axes but the last.

    Dense (in, out): in; Conv2D (k, k, in, out): k*k*in; Conv2DTranspose (k, k, out, in):
    k*k*out.
    """
    shape = tuple(int(d) for d in kernel_shape)
    if len(shape) < 2:
        raise ValueError(f"a kernel has at least two axes; got shape {shape}")
    return math.prod(shape[:-1])


def pytorch_default_init(model, seed: int) -> int:
    """Re-draw, in place, the kernel and bias of every Dense / Conv2D / Conv2DTranspose layer of
    ``model`` (a built Keras model; nested models included) from U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), with ``numpy.random.default_rng(seed)``. Returns the number of layers
    changed (a ValueError if none)."""
    rng = np.random.default_rng(seed)
    layers = [layer for layer in _all_layers(model) if isinstance(layer, LAYER_TYPES)]
    if not layers:
        raise ValueError(f"{model.name} has no Dense or convolution layers to initialise")
    for layer in layers:
        bound = 1.0 / math.sqrt(pytorch_fan_in(layer.kernel.shape))
        layer.kernel.assign(rng.uniform(-bound, bound, layer.kernel.shape).astype("float32"))
        if layer.bias is not None:
            layer.bias.assign(rng.uniform(-bound, bound, layer.bias.shape).astype("float32"))
    return len(layers)


def _all_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer
