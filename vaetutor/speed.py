"""Training speed: what makes the series' small models train fast on a laptop CPU.

Keras' defaults suit large models on accelerators. A training step of the MLP VAE on a CPU is a
few milliseconds, and fixed costs per step weigh as much as its arithmetic. ``make bench``
measures two changes against the usual way of writing these models; :class:`ImageAutoencoder`'s
``compile`` applies both by default:

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
  JAX always compiles with XLA, whose CPU convolutions are slow: on a CPU the convolutional
  models train several times faster on TensorFlow.
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

import keras
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
