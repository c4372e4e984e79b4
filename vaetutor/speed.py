"""Training speed: what makes the series' small models train fast on a laptop CPU.

Keras' defaults suit large models on accelerators. A training step of the MLP VAE on a CPU is a
few milliseconds, and fixed costs per step weigh as much as its arithmetic. ``make bench``
measures two changes against the usual way of writing these models; the training engine
(:func:`vaetutor.training.train`) applies both through :func:`compile_for_training`, and the
models themselves know nothing of them:

- ``steps_per_execution``: each call from Python into the compiled training function runs
  :data:`STEPS_PER_EXECUTION` batches (TensorFlow: in a loop inside the graph; JAX: in a
  Python loop over the compiled step; Keras' PyTorch trainer runs one), so the Python side of
  ``fit`` is paid once per call instead of once per batch. Same batches, same order, same
  updates: the results are bit for bit those of ``steps_per_execution=1``. (Batch-level
  callbacks are called once per call.)
- :class:`FusedAdam`: Keras' Adam, on TensorFlow, updates each weight with about ten separate
  element-wise operations, each a pass over the weights in memory; TensorFlow's
  ``ResourceApplyAdam`` kernel does the same update in one pass (the MLP VAE's 0.8 M weights:
  about 2.4 ms per step -> 0.7 ms on a 2-core CPU). The formula is Keras' own; only float
  rounding differs (the kernel forms ``1 - beta`` in float32, Keras in float64).

Per backend (``make bench`` times the package on each):

- TensorFlow: both of the above; XLA off on a CPU (Keras' default, see below), on with a GPU.
- JAX: ``steps_per_execution`` too (Keras' JAX trainer then loops over its compiled step in
  Python, so only the per-call work is saved: in five interleaved pairs of MLP VAE runs on a
  busy 2-core CPU, 32 steps a call was 0.67 to 1.68 times as fast as one, median 1.04 — no
  loss); Keras' Adam (its update is compiled with the step by XLA, which fuses it already).
  JAX always compiles with XLA, whose CPU convolutions are slow, and slowest for the gradients
  of the decoder's strided transposed convolutions: on a CPU, the engine trains those
  (:func:`transposed_convolutions_as_matmul`) as matrix products instead (same weights, same outputs up to float rounding;
  ``deconv_2``'s forward pass and gradients at batch 100: 393 -> 43 ms, the conv VAE's training
  217 -> 1,195 images/s). Even so, on a CPU the convolutional models train about 3.5 times
  faster on TensorFlow.
- PyTorch: one step a call (Keras' PyTorch trainer accepts no other) and Keras' Adam (which on
  PyTorch already updates all weights at once with ``torch._foreach_*`` operations). Not used:
  ``jit_compile=True`` (``torch.compile``): it spent 40 to 75 s compiling the MLP VAE before
  its first step, longer than a quick-profile notebook trains.

Not used, measured: XLA (``jit_compile=True``) on TensorFlow. It fuses the whole step, but on
top of the two changes above it made the MLP VAE's ``fit`` no faster that this machine's noise
could show; XLA makes TensorFlow's random-number ops pick another generator, so the same seed
draws other noise for the reparameterisation trick and training takes another path; and on a
CPU XLA's convolutions are about three times slower than TensorFlow's. Keras' default
(``"auto"``: XLA with a GPU, none on a CPU-only TensorFlow) is left as it is.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
from keras import ops

#: batches per call into the compiled training function (a 60,000-image epoch at batch 128 is
#: 469 batches: 15 calls)
STEPS_PER_EXECUTION = 32


def default_steps_per_execution(backend: str | None = None) -> int:
    """Batches per call into the compiled training step on ``backend`` (default: Keras'
    current one): :data:`STEPS_PER_EXECUTION` on TensorFlow and JAX, 1 on PyTorch (whose
    Keras trainer runs one step a call)."""
    backend = backend or keras.backend.backend()
    if backend not in ("tensorflow", "jax", "torch"):
        raise ValueError(f"unknown Keras backend {backend!r}; expected tensorflow, jax or torch")
    return 1 if backend == "torch" else STEPS_PER_EXECUTION


@keras.saving.register_keras_serializable(package="vaetutor")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose per-weight update is TensorFlow's fused Adam kernel.

    Per weight ``w`` with gradient ``g`` at step ``t`` (the update of Keras' Adam):

        m <- m + (1 - beta_1) (g - m)
        v <- v + (1 - beta_2) (g^2 - v)
        w <- w - lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

    done in one pass by ``ResourceApplyAdam``. Other backends, and ``amsgrad=True``, use Keras'
    own update. Its variables are Adam's, so checkpoints of either load into the other.
    """

    def update_step(self, gradient, variable, learning_rate):
        if keras.backend.backend() != "tensorflow" or self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        dtype = variable.dtype
        step = ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=ops.power(beta_1, step),
            beta2_power=ops.power(beta_2, step),
            lr=ops.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=ops.cast(self.epsilon, dtype),
            grad=ops.cast(gradient, dtype),
            use_locking=False,
        )


def fast_optimizer(optimizer):
    """A :class:`FusedAdam` with the settings of ``optimizer`` if it is a plain Keras ``Adam``
    (or ``"adam"``) on TensorFlow and not yet used; any other optimizer, and every optimizer on
    JAX and PyTorch (where Keras' own Adam is the fastest, see the module's notes), unchanged."""
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
    if (type(optimizer) is keras.optimizers.Adam and keras.backend.backend() == "tensorflow"
            and not optimizer.built):
        return FusedAdam.from_config(optimizer.get_config())
    return optimizer


def _sub_pixel_selection() -> np.ndarray:
    """``S[u, v, k, l, 2 p + q] = 1`` where tap ``(k, l)`` of the 3x3 kernel feeds output phase
    ``(p, q)`` from position ``(u, v)`` of the 2x2 window (see :func:`sub_pixel_conv_transpose`)."""
    taps = {0: [(0, 1), (2, 0)], 1: [(1, 1)]}  # phase -> [(kernel tap, window position)]
    selection = np.zeros((2, 2, 3, 3, 4), "float32")
    for p in (0, 1):
        for q in (0, 1):
            for k, u in taps[p]:
                for l, v in taps[q]:
                    selection[u, v, k, l, 2 * p + q] = 1.0
    return selection


_SUB_PIXEL_SELECTION = _sub_pixel_selection()


def sub_pixel_conv_transpose(x, kernel):
    """Keras' ``conv_transpose(x, kernel, strides=2, padding="same")`` for a 3x3 ``kernel``,
    written as one matrix product.

    ``x`` ``(n, h, w, c_in)``, ``kernel`` ``(3, 3, c_out, c_in)`` (Keras' ``Conv2DTranspose``
    layout) -> ``(n, 2h, 2w, c_out)``. Input pixel ``i`` adds ``x[i] kernel[k]`` to output pixel
    ``2i + k`` in each direction (outputs past ``2h`` are cropped), so the four output phases are

        y[2a + p, 2b + q, o] = sum_c sum_{(k,d) in T(p)} sum_{(l,e) in T(q)}
                                 x[a - d, b - e, c] kernel[k, l, o, c],

    ``T(0) = {(0, 0), (2, 1)}``, ``T(1) = {(1, 0)}`` (``x`` is zero outside). Each phase is a 2x2
    window of ``x`` padded with one row on top and one column on the left: the four shifted
    copies of ``x`` side by side ``(n, h, w, 4 c_in)`` times a ``(4 c_in, 4 c_out)`` matrix built
    from ``kernel`` (7 of its 16 tap-phase blocks zero), then the phases interleaved into
    ``(n, 2h, 2w, c_out)``. Any backend; :class:`MatmulConv2DTranspose` uses it on JAX on a CPU.
    """
    _, h, w, c_in = ops.shape(x)
    c_out = ops.shape(kernel)[2]
    if tuple(ops.shape(kernel)) != (3, 3, c_out, c_in):
        raise ValueError(f"kernel must have shape (3, 3, c_out, {c_in}) for inputs with {c_in} "
                         f"channels; got {tuple(ops.shape(kernel))}")
    matrix = ops.einsum("uvklp,kloc->uvcpo", ops.cast(_SUB_PIXEL_SELECTION, kernel.dtype), kernel)
    matrix = ops.reshape(matrix, (4 * c_in, 4 * c_out))
    padded = ops.pad(x, [(0, 0), (1, 0), (1, 0), (0, 0)])
    windows = ops.concatenate([padded[:, u:u + h, v:v + w, :] for u in (0, 1) for v in (0, 1)],
                              axis=-1)
    phases = ops.reshape(ops.matmul(windows, matrix), (-1, h, w, 2, 2, c_out))
    return ops.reshape(ops.transpose(phases, (0, 1, 3, 2, 4, 5)), (-1, 2 * h, 2 * w, c_out))


def sub_pixel_is_faster(backend: str | None = None) -> bool:
    """Whether :class:`MatmulConv2DTranspose` computes with :func:`sub_pixel_conv_transpose`:
    on JAX on a CPU (where XLA's transposed-convolution gradients are slow; ``make bench``)."""
    backend = backend or keras.backend.backend()
    if backend != "jax":
        return False
    import jax

    return jax.default_backend() == "cpu"


class MatmulConv2DTranspose(keras.layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` that, for a 3x3 kernel with stride 2 and "same" padding
    (channels last), computes with :func:`sub_pixel_conv_transpose` (any other setting: Keras'
    own layer).

    The models never contain this class: :func:`transposed_convolutions_as_matmul` lends it to
    their Keras layers while the training engine fits them (what XLA's CPU backend does slowly
    is the gradient, so only training needs it), so that weight files, which Keras addresses by
    the layers' class names, are always written and read by Keras' own layer.
    """

    def call(self, inputs):
        if not eligible_for_matmul(self):
            return super().call(inputs)
        outputs = sub_pixel_conv_transpose(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias  # (filters,), broadcast over the channels axis
        return outputs if self.activation is None else self.activation(outputs)


def eligible_for_matmul(layer) -> bool:
    """Whether :func:`sub_pixel_conv_transpose` computes ``layer`` (a ``Conv2DTranspose``):
    a 3x3 kernel, stride 2, "same" padding, no output padding or dilation, channels last."""
    return (tuple(layer.kernel_size) == (3, 3) and tuple(layer.strides) == (2, 2)
            and layer.padding == "same" and layer.output_padding is None
            and tuple(layer.dilation_rate) == (1, 1) and layer.data_format == "channels_last")


def _all_layers(layer):
    for child in getattr(layer, "layers", []):
        yield child
        yield from _all_layers(child)


@contextlib.contextmanager
def transposed_convolutions_as_matmul(model, enabled: bool | None = None):
    """While open, ``model``'s eligible ``keras.layers.Conv2DTranspose`` layers train as
    :class:`MatmulConv2DTranspose` (same weights and names; their class is lent, then given back).

    ``enabled`` defaults to :func:`sub_pixel_is_faster` (JAX on a CPU); elsewhere nothing
    changes. A compiled training function traced inside keeps the matrix form (Keras caches it
    on the model), which is what the engine wants: every epoch's ``fit`` runs inside.
    """
    enabled = sub_pixel_is_faster() if enabled is None else enabled
    lent = [layer for layer in _all_layers(model)
            if type(layer) is keras.layers.Conv2DTranspose and eligible_for_matmul(layer)] \
        if enabled else []
    for layer in lent:
        layer.__class__ = MatmulConv2DTranspose
    try:
        yield len(lent)
    finally:
        for layer in lent:
            layer.__class__ = keras.layers.Conv2DTranspose


def compile_for_training(model, optimizer, **kwargs) -> None:
    """``model.compile`` with the speed-ups: :func:`fast_optimizer` of ``optimizer`` and
    :func:`default_steps_per_execution` batches per call (an explicit ``steps_per_execution``
    in ``kwargs`` wins). Results are Keras' plain ones up to float rounding."""
    kwargs.setdefault("steps_per_execution", default_steps_per_execution())
    model.compile(optimizer=fast_optimizer(optimizer), **kwargs)
