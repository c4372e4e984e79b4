"""Training speed of the package's models on each backend against what users would write instead.

``make bench`` (``scripts/bench.py``). For each model (MLP VAE, conv VAE, MMD-VAE) these train
on the same random data for a fixed number of steps after a warm-up; each runs in a fresh
process (so that memory and compiled functions do not carry over, and each can have its own
Keras backend), all of them alternating over the repeats:

- ``usual``: the network and loss written as the articles and the Keras VAE example do — a
  ``keras.Model`` with a TensorFlow ``GradientTape`` ``train_step`` and default settings;
- ``plain``: the package's model compiled with Keras' own ``compile`` (none of
  :mod:`vaetutor.speed`), on TensorFlow;
- ``vaetutor-tensorflow``, ``vaetutor-jax``, ``vaetutor-torch``: the package's model,
  ``compile`` + ``fit`` as the notebooks use it, on each Keras backend (with that backend's
  defaults from :mod:`vaetutor.speed`);
- ``pytorch``: the model written in plain PyTorch the way PyTorch's own examples write it
  (:func:`pytorch_model`: ``nn.Module``, ``torch.optim.Adam``, a hand-written loop);
- ``kernels``: only the matrix products and convolutions of a training step, forward and
  gradients, on tensors of its shapes (:func:`measure_kernels`): a rate that no implementation
  built from TensorFlow's layers can pass, since every one of them runs these kernels.

After each round the machine's float32 matrix-multiply throughput is measured; with the MLP
VAE's FLOPs per image it gives the matrix-multiply floor, the least time an epoch can take.
The timed steps are cut into a few epochs; a run's rate is that of its fastest epoch (this
shared machine slows down at random, never speeds up), and the figure printed is the median
over the repeats. Prints samples per second, seconds per 60,000-image epoch, peak memory, the
ratios to ``usual``, which backend the package is fastest on and whether that beats every peer,
and each implementation's time per MLP epoch as a multiple of the floor. This is a measurement,
not a test: compare ratios measured in one run. ``--implementations`` and ``--models`` run a
part of it.
"""

from __future__ import annotations

import argparse
import json
import os
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


def pytorch_model(name):
    """The model written in plain PyTorch, the way PyTorch's own VAE example writes it: an
    ``nn.Module`` with ``encode`` / ``reparameterize`` / ``decode`` / ``forward`` and a
    ``loss_function`` beside it. Layers, shapes and losses are those of the package's model.

    Images are NCHW ``(batch, 1, 28, 28)`` (PyTorch's layout) for the convolutional models,
    ``(batch, 784)`` for the MLP. ``loss_function(x, *model(x))`` returns the batch mean of the
    per-example loss in nats, as the package's ``compute_loss`` does.
    """
    import math

    import torch
    import torch.nn.functional as F
    from torch import nn

    log2pi = math.log(2 * math.pi)

    class MLPVAE(nn.Module):
        """784-512-(2+2) encoder, 2-512-784 decoder; analytic KL."""

        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 512)
            self.fc21 = nn.Linear(512, 2)  # z_mean
            self.fc22 = nn.Linear(512, 2)  # z_log_var
            self.fc3 = nn.Linear(2, 512)
            self.fc4 = nn.Linear(512, 784)

        def encode(self, x):
            h = F.relu(self.fc1(x))
            return self.fc21(h), self.fc22(h)

        def reparameterize(self, mu, logvar):
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

        def decode(self, z):
            return self.fc4(F.relu(self.fc3(z)))  # pixel logits (batch, 784)

        def forward(self, x):
            mu, logvar = self.encode(x)
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

        @staticmethod
        def loss_function(x, logits, mu, logvar):
            """Mean over the batch of: BCE summed over 784 pixels + KL to N(0, I) summed over z."""
            bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1)
            return (bce + kld).mean()

    class ConvEncoder(nn.Module):
        """(batch, 1, 28, 28) -> conv 3x3/2 (32) -> conv 3x3/2 (64) -> 2304 -> Linear(out)."""

        def __init__(self, out_features):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, stride=2)
            self.conv2 = nn.Conv2d(32, 64, 3, stride=2)
            self.fc = nn.Linear(64 * 6 * 6, out_features)

        def forward(self, x):
            h = F.relu(self.conv2(F.relu(self.conv1(x))))
            return self.fc(torch.flatten(h, 1))

    class ConvDecoder(nn.Module):
        """(batch, 2) -> Linear(7*7*32) -> (32, 7, 7) -> deconv 64 /2 -> deconv 32 /2 -> 1."""

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 32 * 7 * 7)
            self.deconv1 = nn.ConvTranspose2d(32, 64, 3, stride=2, padding=1, output_padding=1)
            self.deconv2 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)
            self.deconv3 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)

        def forward(self, z):
            h = F.relu(self.fc(z)).view(-1, 32, 7, 7)
            h = F.relu(self.deconv2(F.relu(self.deconv1(h))))
            return self.deconv3(h)  # (batch, 1, 28, 28), no activation

    class ConvVAE(nn.Module):
        """The conv VAE trained with the single-sample Monte-Carlo ELBO."""

        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = ConvEncoder(4), ConvDecoder()

        def forward(self, x):
            mu, logvar = self.encoder(x).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            return self.decoder(z), z, mu, logvar

        @staticmethod
        def loss_function(x, logits, z, mu, logvar):
            """Mean over the batch of -(log p(x|z) + log p(z) - log q(z|x)), one z per image:
            log p(x|z) summed over pixels, the Gaussian log-densities over z's dimensions."""
            bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
            log_px_z = -bce.sum((1, 2, 3))
            log_pz = -0.5 * torch.sum(log2pi + z.pow(2), 1)
            log_qz_x = -0.5 * torch.sum(log2pi + logvar + (z - mu).pow(2) * torch.exp(-logvar), 1)
            return -(log_px_z + log_pz - log_qz_x).mean()

    class ConvMMDVAE(nn.Module):
        """The MMD-VAE: deterministic codes, sigmoid pixels, mean squared error + MMD."""

        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = ConvEncoder(2), ConvDecoder()

        def forward(self, x):
            z = self.encoder(x)
            return torch.sigmoid(self.decoder(z)), z

        @staticmethod
        def loss_function(x, x_hat, z):
            """Batch mean of the per-pixel mean squared error, + MMD(N(0, I) samples, z)."""
            def kernel(a, b):  # exp(-mean_d (a_d - b_d)^2 / d), all pairs: (n, m)
                return torch.exp(-(a.unsqueeze(1) - b.unsqueeze(0)).pow(2).mean(2) / a.shape[1])

            prior = torch.randn_like(z)
            mmd = (kernel(prior, prior).mean() + kernel(z, z).mean()
                   - 2 * kernel(prior, z).mean())
            return (x - x_hat).pow(2).mean((1, 2, 3)).mean() + mmd

    return {"mlp_vae": MLPVAE, "conv_vae": ConvVAE, "mmd_vae": ConvMMDVAE}[name]()


def measure_pytorch(name, steps, warmup, chunks):
    """Train :func:`pytorch_model` with ``torch.optim.Adam`` in this process; print one JSON
    line like :func:`measure`'s.

    The loop is the PyTorch example's: ``model.train()``, then per batch ``zero_grad``,
    ``loss_function(x, *model(x))``, ``backward``, ``step``. Batches are slices of a tensor
    shuffled each epoch (``torch.randperm``), the fastest way to batch data held in memory
    (a ``DataLoader`` over a ``TensorDataset`` gathers each image separately, which costs more).
    """
    import numpy as np
    import torch

    batch_size, shape, learning_rate = MODELS[name]
    torch.manual_seed(0)
    per_chunk = steps // chunks
    x = (np.random.default_rng(0).uniform(size=(batch_size * per_chunk, *shape)) ** 4
         ).astype("float32")
    if len(shape) == 3:  # NHWC -> NCHW
        x = x.transpose(0, 3, 1, 2)
    x = torch.from_numpy(np.ascontiguousarray(x))
    model = pytorch_model(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()

    def epoch(n_batches):
        order = torch.randperm(len(x))
        for i in range(n_batches):
            data = x[order[i * batch_size:(i + 1) * batch_size]]
            optimizer.zero_grad()
            loss = model.loss_function(data, *model(data))
            loss.backward()
            optimizer.step()
        return loss.item()

    epoch(warmup)
    seconds = []
    for _ in range(chunks):
        start = time.perf_counter()
        epoch(per_chunk)
        seconds.append(time.perf_counter() - start)
    rates = [per_chunk * batch_size / s for s in seconds]
    print(json.dumps({
        "best": max(rates), "median": statistics.median(rates),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "settings": f"torch {torch.__version__}, nn.Module, torch.optim.Adam, "
                    f"{torch.get_num_threads()} threads"}))


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
            model.compile(optimizer=keras.optimizers.Adam(learning_rate))
        else:  # as the training engine compiles and fits
            from vaetutor.speed import compile_for_training

            compile_for_training(model, keras.optimizers.Adam(learning_rate))
    from vaetutor.speed import transposed_convolutions_as_matmul

    switch = transposed_convolutions_as_matmul(model, enabled=None if implementation not in
                                               ("usual", "plain") else False)
    switch.__enter__()
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
    switch.__exit__(None, None, None)
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
    import keras

    return (f"{keras.backend.backend()}, {type(model.optimizer).__name__}, "
            f"steps_per_execution={model.steps_per_execution}, "
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


#: what ``make bench`` compares, in the order of its table: name -> (Keras backend of the
#: process it runs in, what it is)
IMPLEMENTATIONS = {
    "usual": ("tensorflow", "Keras model with a TensorFlow GradientTape train_step, defaults"),
    "plain": ("tensorflow", "the package's model, Keras' own compile"),
    "vaetutor-tensorflow": ("tensorflow", "the package, as the notebooks use it"),
    "vaetutor-jax": ("jax", "the package on Keras' JAX backend"),
    "vaetutor-torch": ("torch", "the package on Keras' PyTorch backend"),
    "pytorch": ("torch", "plain PyTorch: nn.Module, torch.optim.Adam"),
    "kernels": ("tensorflow", "the step's matrix products and convolutions alone"),
}
PACKAGE = [name for name in IMPLEMENTATIONS if name.startswith("vaetutor-")]
PEERS = ["usual", "plain", "pytorch"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--implementations", nargs="+", default=list(IMPLEMENTATIONS),
                        choices=list(IMPLEMENTATIONS), metavar="NAME",
                        help=f"which to run (default: all of {', '.join(IMPLEMENTATIONS)})")
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
        name, implementation = args.measure
        steps = args.steps or (600 if name == "mlp_vae" else 300)
        backend = IMPLEMENTATIONS[implementation][0]
        if implementation != "pytorch" and os.environ.get("KERAS_BACKEND", backend) != backend:
            raise SystemExit(f"{implementation} must run with KERAS_BACKEND={backend}")
        if implementation == "kernels":
            return measure_kernels(name, steps=steps, chunks=args.chunks)
        if implementation == "pytorch":
            return measure_pytorch(name, steps=steps, warmup=args.warmup, chunks=args.chunks)
        return measure(name, implementation, steps=steps, warmup=args.warmup, chunks=args.chunks)

    def run(*measure, steps=None, backend="tensorflow"):
        argv = [sys.executable, __file__, "--measure", *measure, "--chunks", str(args.chunks),
                "--warmup", str(args.warmup)] + (["--steps", str(steps)] if steps else [])
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run(argv, capture_output=True, text=True, env=env)
        if out.returncode:
            raise SystemExit(f"{' '.join(measure)} on {backend} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    chosen = [i for i in IMPLEMENTATIONS if i in args.implementations]
    results, matmul = {}, []
    for name in args.models:
        steps = args.steps or (600 if name == "mlp_vae" else 300)
        for _ in range(args.repeats):  # interleaved: every implementation once per round
            for implementation in chosen:
                results.setdefault((name, implementation), []).append(
                    run(name, implementation, steps=steps,
                        backend=IMPLEMENTATIONS[implementation][0]))
            matmul.append(run("matmul", "-"))
    print(f"samples per second: the fastest of {args.chunks} timed chunks in each run, then the "
          f"median over {args.repeats} runs\n(typical: the median chunk); seconds per "
          f"60,000-image epoch at the best rate\n")
    print(f"{'model':9s} {'implementation':20s} {'best':>7s} {'typical':>8s} {'s/epoch':>8s} "
          f"{'peak MiB':>9s}  settings")
    best = {}
    for (name, implementation), runs in results.items():
        best[name, implementation] = statistics.median(r["best"] for r in runs)
        typical = statistics.median(r["median"] for r in runs)
        print(f"{name:9s} {implementation:20s} {best[name, implementation]:7.0f} {typical:8.0f} "
              f"{60000 / best[name, implementation]:8.2f} "
              f"{statistics.median(r['peak_mib'] for r in runs):9.0f}  {runs[0]['settings']}")
    print()
    gflops = statistics.median(m["best"] for m in matmul)
    bound = 60000 * MLP_FLOPS_PER_SAMPLE / (gflops * 1e9)
    for name in args.models:
        speed = {i: best[name, i] for i in chosen}
        if "usual" in speed:
            print(f"{name}: speed relative to usual: " + ", ".join(
                f"{i} {rate / speed['usual']:.2f}" for i, rate in speed.items() if i != "usual"))
        package = {i: rate for i, rate in speed.items() if i in PACKAGE}
        peers = {i: rate for i, rate in speed.items() if i in PEERS}
        if package:
            fastest = max(package, key=package.get)
            verdict = (", ".join(f"{package[fastest] / rate:.2f} x {peer}"
                                 for peer, rate in peers.items()) or "no peers run")
            ahead = all(package[fastest] > rate for rate in peers.values())
            print(f"{name}: the package is fastest on {fastest.removeprefix('vaetutor-')}: "
                  f"{verdict} ({'ahead of every peer' if ahead else 'NOT ahead of every peer'})")
        if "kernels" in speed and "usual" in speed:
            print(f"{name}: its matrix products and convolutions alone "
                  f"{speed['kernels'] / speed['usual']:.2f} x usual (the most that any work "
                  f"outside them could give a TensorFlow implementation)")
    print(f"float32 matrix multiply (2048 x 2048): {gflops:.0f} GFLOP/s (measured after each "
          f"round, the median of the best); MLP VAE training needs "
          f"{MLP_FLOPS_PER_SAMPLE / 1e6:.2f} MFLOP per sample, so at least {bound:.2f} s per "
          f"epoch (the matrix-multiply floor)")
    if "mlp_vae" in args.models:
        print("mlp_vae: s/epoch as a multiple of that floor: " + ", ".join(
            f"{i} {60000 / best['mlp_vae', i] / bound:.1f} x" for i in chosen))


if __name__ == "__main__":
    sys.exit(main())
