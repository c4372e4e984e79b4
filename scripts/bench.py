"""Training speed of the package's models against the usual way of writing them (``make bench``).

For each model (MLP VAE, conv VAE, MMD-VAE) three implementations train on the same random data
for a fixed number of steps after a warm-up, and a fourth run times the step's kernels alone;
each runs in a fresh process (so that memory and compiled functions do not carry over), the four
alternating over the repeats:

- ``usual``: the network and loss written as the articles and the Keras VAE example do — a
  ``keras.Model`` with a TensorFlow ``GradientTape`` ``train_step`` and default settings;
- ``plain``: the package's model compiled with Keras' own ``compile`` (none of
  :mod:`vaetutor.speed`);
- ``vaetutor``: the package's model, ``compile`` + ``fit`` as the notebooks use it;
- ``kernels``: only the matrix products and convolutions of a training step, forward and
  gradients, on tensors of its shapes (:func:`measure_kernels`): a rate that no implementation
  built from TensorFlow's layers can pass, since every one of them runs these kernels.

The timed steps are cut into a few epochs of one ``fit``; a run's rate is that of its fastest
epoch (this shared machine slows down at random, never speeds up), and the figure printed is
the median over the repeats. Prints samples per second, seconds per 60,000-image epoch, peak
memory, the ratios to ``usual``, the machine's float32 matrix-multiply throughput and the
resulting lower bound on seconds per epoch for the MLP VAE. This is a measurement, not a test:
compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

MODELS = {  # name: (batch size, input shape, learning rate)
    "mlp_vae": (128, (784,), 1e-3),
    "conv_vae": (100, (28, 28, 1), 1e-4),
    "mmd_vae": (100, (28, 28, 1), 1e-4),
}
# Training FLOPs per sample of the MLP VAE: forward multiply-adds of 784-512-(2+2) and
# 2-512-784, times 2 FLOPs each, times 3 (forward, and a backward pass of about twice the cost).
MLP_FLOPS_PER_SAMPLE = 3 * 2 * (784 * 512 + 512 * 4 + 2 * 512 + 512 * 784)


def usual_model(name):
    """The model written the usual way: a GradientTape train_step (TensorFlow only)."""
    import keras
    import tensorflow as tf

    from vaetutor.conv import build_conv_decoder, build_conv_encoder
    from vaetutor.mlp import build_mlp_decoder, build_mlp_encoder

    class TapeVAE(keras.Model):
        def __init__(self, encoder, decoder, monte_carlo):
            super().__init__()
            self.encoder, self.decoder, self.monte_carlo = encoder, decoder, monte_carlo

        def train_step(self, data):
            x = data[0] if isinstance(data, tuple) else data
            with tf.GradientTape() as tape:
                z_mean, z_log_var = self.encoder(x)
                eps = tf.random.normal(tf.shape(z_mean))
                z = z_mean + tf.exp(0.5 * z_log_var) * eps
                logits = self.decoder(z)
                xent = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
                log_px_z = -tf.reduce_sum(tf.reshape(xent, [tf.shape(x)[0], -1]), axis=1)
                if self.monte_carlo:
                    log2pi = tf.math.log(2.0 * 3.141592653589793)
                    log_pz = -0.5 * tf.reduce_sum(log2pi + z**2, axis=1)
                    log_qz = -0.5 * tf.reduce_sum(
                        log2pi + z_log_var + (z - z_mean) ** 2 * tf.exp(-z_log_var), axis=1)
                    loss = -tf.reduce_mean(log_px_z + log_pz - log_qz)
                else:
                    kl = -0.5 * tf.reduce_sum(1 + z_log_var - z_mean**2 - tf.exp(z_log_var), 1)
                    loss = tf.reduce_mean(-log_px_z + kl)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    class TapeMMD(keras.Model):
        def __init__(self, encoder, decoder):
            super().__init__()
            self.encoder, self.decoder = encoder, decoder

        def train_step(self, data):
            x = data[0] if isinstance(data, tuple) else data
            with tf.GradientTape() as tape:
                z = self.encoder(x)
                x_hat = self.decoder(z)
                prior = tf.random.normal(tf.shape(z))
                d = tf.cast(tf.shape(z)[1], tf.float32)

                def kernel(a, b):
                    diff = tf.expand_dims(a, 1) - tf.expand_dims(b, 0)
                    return tf.exp(-tf.reduce_mean(diff**2, axis=2) / d)

                mmd = (tf.reduce_mean(kernel(prior, prior)) + tf.reduce_mean(kernel(z, z))
                       - 2 * tf.reduce_mean(kernel(prior, z)))
                loss = tf.reduce_mean((x - x_hat) ** 2) + mmd
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    if name == "mlp_vae":
        return TapeVAE(build_mlp_encoder(), build_mlp_decoder(), monte_carlo=False)
    if name == "conv_vae":
        return TapeVAE(build_conv_encoder(), build_conv_decoder(), monte_carlo=True)
    return TapeMMD(build_conv_encoder(gaussian=False),
                   build_conv_decoder(final_activation="sigmoid"))


def package_model(name):
    from vaetutor.conv import build_conv_mmd_vae, build_conv_vae
    from vaetutor.mlp import build_mlp_vae

    return {"mlp_vae": build_mlp_vae, "conv_vae": build_conv_vae,
            "mmd_vae": build_conv_mmd_vae}[name](seed=0)


def measure(name, implementation, steps, warmup, chunks):
    """Train in this process; print one JSON line with samples/s and peak memory.

    The timed steps are split into ``chunks`` epochs of one ``fit`` call; the fastest chunk
    gives the best rate (the machine's own speed, least disturbed by other work on it) and the
    median chunk the typical one.
    """
    import vaetutor  # noqa: F401  (quiet TensorFlow start-up)
    import keras
    import numpy as np

    batch_size, shape, learning_rate = MODELS[name]
    keras.utils.set_random_seed(0)
    per_chunk = steps // chunks
    x = (np.random.default_rng(0).uniform(size=(batch_size * per_chunk, *shape)) ** 4
         ).astype("float32")
    if implementation == "usual":
        model = usual_model(name)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    else:
        model = package_model(name)
        if implementation == "plain":  # Keras' own compile: none of vaetutor.speed
            keras.Model.compile(model, optimizer=keras.optimizers.Adam(learning_rate))
        else:
            model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    model.fit(x[:batch_size * warmup], batch_size=batch_size, epochs=1, verbose=0)
    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    timer = EpochTimer()
    model.fit(x, batch_size=batch_size, epochs=chunks, verbose=0, callbacks=[timer])
    rates = [len(x) / s for s in timer.seconds]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"best": max(rates), "median": statistics.median(rates),
                      "peak_mib": peak_mib, "settings": describe(model)}))


# The layers whose kernels a training step cannot do without: (kind, input shape without the
# batch, weight shape, output shape without the batch, strides, padding, needs input gradient).
KERNELS = {
    "mlp_vae": [
        ("dense", (784,), (784, 512), (512,), None, None, False),
        ("dense", (512,), (512, 2), (2,), None, None, True),  # z_mean
        ("dense", (512,), (512, 2), (2,), None, None, True),  # z_log_var
        ("dense", (2,), (2, 512), (512,), None, None, True),
        ("dense", (512,), (512, 784), (784,), None, None, True),
    ],
    "conv_vae": [
        ("conv", (28, 28, 1), (3, 3, 1, 32), (13, 13, 32), 2, "VALID", False),
        ("conv", (13, 13, 32), (3, 3, 32, 64), (6, 6, 64), 2, "VALID", True),
        ("dense", (2304,), (2304, 4), (4,), None, None, True),
        ("dense", (2,), (2, 1568), (1568,), None, None, True),
        ("deconv", (7, 7, 32), (3, 3, 64, 32), (14, 14, 64), 2, "SAME", True),
        ("deconv", (14, 14, 64), (3, 3, 32, 64), (28, 28, 32), 2, "SAME", True),
        ("deconv", (28, 28, 32), (3, 3, 1, 32), (28, 28, 1), 1, "SAME", True),
    ],
}
KERNELS["mmd_vae"] = [KERNELS["conv_vae"][0], KERNELS["conv_vae"][1],
                      ("dense", (2304,), (2304, 2), (2,), None, None, True),
                      *KERNELS["conv_vae"][3:]]


def measure_kernels(name, steps, chunks):
    """Time the model's matrix products and convolutions alone; print one JSON line.

    Per step, each layer of :data:`KERNELS` runs its forward kernel and the kernels of its
    weight gradient and (but for the first layer) input gradient, on random tensors of the
    training step's shapes, as TensorFlow runs them in training (``GradientTape``), inside one
    compiled loop. Nothing else is done: no bias, activation, loss, optimizer or input
    pipeline. The rate is what any TensorFlow implementation would reach if everything but
    these kernels took no time at all, so ``kernels / usual`` bounds the speed-up that work
    outside them can give.
    """
    import vaetutor  # noqa: F401
    import numpy as np
    import tensorflow as tf

    batch_size = MODELS[name][0]
    rng = np.random.default_rng(0)

    def tensor(shape):  # a batch of that shape
        return tf.constant(rng.normal(size=(batch_size, *shape)).astype("float32"))

    layers = []
    for kind, in_shape, w_shape, out_shape, strides, padding, input_grad in KERNELS[name]:
        w = tf.constant(rng.normal(size=w_shape).astype("float32"))
        layers.append((kind, tensor(in_shape), w, tensor(out_shape), strides, padding,
                       input_grad))

    def forward(kind, x, w, out_shape, strides, padding):
        if kind == "dense":
            return tf.matmul(x, w)
        if kind == "conv":
            return tf.nn.conv2d(x, w, strides, padding)
        return tf.nn.conv2d_transpose(x, w, out_shape, strides, padding)

    @tf.function
    def run(n):
        total = tf.constant(0.0)
        for _ in tf.range(n):
            for kind, x, w, dy, strides, padding, input_grad in layers:
                sources = [x, w] if input_grad else [w]
                with tf.GradientTape() as tape:
                    tape.watch(sources)
                    y = forward(kind, x, w, tf.shape(dy), strides, padding)
                grads = tape.gradient(y, sources, output_gradients=dy)
                total += sum(tf.reshape(t, [-1])[0] for t in [y, *grads])
        return total

    per_chunk = max(steps // chunks, 1)
    run(tf.constant(2)).numpy()
    rates = []
    for _ in range(chunks):
        start = time.perf_counter()
        run(tf.constant(per_chunk)).numpy()
        rates.append(per_chunk * batch_size / (time.perf_counter() - start))
    print(json.dumps({"best": max(rates), "median": statistics.median(rates),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "settings": "matrix products and convolutions alone (forward, gradients)"}))


def describe(model):
    return (f"{type(model.optimizer).__name__}, steps_per_execution={model.steps_per_execution}, "
            f"jit_compile={model.jit_compile}")


def measure_matmul(chunks, size=2048, per_chunk=5):
    """Float32 (size x size) @ (size x size) throughput; print one JSON line (GFLOP/s).

    Like the training rates: ``chunks`` timed groups of ``per_chunk`` products, the best group
    and the median one.
    """
    import vaetutor  # noqa: F401
    import keras
    import numpy as np

    a = keras.ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(size, size)).astype("float32"))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, a))
    rates = []
    for _ in range(chunks):
        start = time.perf_counter()
        for _ in range(per_chunk):
            result = keras.ops.matmul(a, a)
        keras.ops.convert_to_numpy(result)
        rates.append(2 * size**3 * per_chunk / (time.perf_counter() - start) / 1e9)
    print(json.dumps({"best": max(rates), "median": statistics.median(rates)}))


IMPLEMENTATIONS = ("usual", "plain", "vaetutor", "kernels")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per run (default: 600 for the MLP, 300 for the others)")
    parser.add_argument("--chunks", type=int, default=6, help="timed epochs the steps are cut into")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before them")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--measure", nargs=2, metavar=("MODEL", "IMPLEMENTATION"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure == ["matmul", "-"]:
        return measure_matmul(chunks=args.chunks)
    if args.measure:
        steps = args.steps or (600 if args.measure[0] == "mlp_vae" else 300)
        if args.measure[1] == "kernels":
            return measure_kernels(args.measure[0], steps=steps, chunks=args.chunks)
        return measure(*args.measure, steps=steps, warmup=args.warmup, chunks=args.chunks)

    def run(*measure, steps=None):
        argv = [sys.executable, __file__, "--measure", *measure, "--chunks", str(args.chunks),
                "--warmup", str(args.warmup)] + (["--steps", str(steps)] if steps else [])
        out = subprocess.run(argv, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    results, matmul = {}, []
    for name in args.models:
        steps = args.steps or (600 if name == "mlp_vae" else 300)
        for _ in range(args.repeats):
            for implementation in IMPLEMENTATIONS:
                results.setdefault((name, implementation), []).append(
                    run(name, implementation, steps=steps))
            matmul.append(run("matmul", "-"))
    print(f"samples per second: the fastest of {args.chunks} timed chunks in each run, then the "
          f"median over {args.repeats} runs\n(typical: the median chunk); seconds per "
          f"60,000-image epoch at the best rate\n")
    print(f"{'model':9s} {'implementation':14s} {'best':>7s} {'typical':>8s} {'s/epoch':>8s} "
          f"{'peak MiB':>9s}  settings")
    best = {}
    for (name, implementation), runs in results.items():
        best[name, implementation] = statistics.median(r["best"] for r in runs)
        typical = statistics.median(r["median"] for r in runs)
        print(f"{name:9s} {implementation:14s} {best[name, implementation]:7.0f} {typical:8.0f} "
              f"{60000 / best[name, implementation]:8.2f} "
              f"{statistics.median(r['peak_mib'] for r in runs):9.0f}  {runs[0]['settings']}")
    print()
    for name in args.models:
        usual = best[name, "usual"]
        print(f"{name}: speed relative to usual: plain {best[name, 'plain'] / usual:.2f}, "
              f"vaetutor {best[name, 'vaetutor'] / usual:.2f}; its matrix products and "
              f"convolutions alone {best[name, 'kernels'] / usual:.2f} (the most that any work "
              f"outside them could give)")
    gflops = statistics.median(m["best"] for m in matmul)
    bound = 60000 * MLP_FLOPS_PER_SAMPLE / (gflops * 1e9)
    print(f"float32 matrix multiply (2048 x 2048): {gflops:.0f} GFLOP/s (measured after each "
          f"round, the median of the best); MLP VAE training needs "
          f"{MLP_FLOPS_PER_SAMPLE / 1e6:.2f} MFLOP per sample, so at least {bound:.2f} s per epoch")
    if "mlp_vae" in args.models:
        print(f"mlp_vae: {60000 / best['mlp_vae', 'vaetutor'] / bound:.1f} x that bound; its "
              f"matrix products alone {60000 / best['mlp_vae', 'kernels'] / bound:.1f} x")


if __name__ == "__main__":
    sys.exit(main())
