"""The series' catalogue: every training run, named and defined once, and what its names mean.

A run (:class:`vaetutor.settings.Run`) is plain settings. This module says which builder makes
each model and which data each run learns from (:func:`build_model`, :func:`load_data`,
:func:`fit_data`, :func:`compile_arguments`), and defines the series' runs, so that notebooks
that share a run (04, 05 and 06 use the conv VAE) look it up here by name and its settings are
written once.
"""

from __future__ import annotations

import numpy as np

from .conv import build_conv_mmd_vae, build_conv_vae
from .data import IMAGE_SHAPE, FLAT_DIM, ImageDataset, load_dataset
from .mlp import build_mlp_vae
from .profiles import current_profile
from .sample_quality import build_classifier, classifier_compile_arguments
from .seeding import seed_everything
from .settings import Run
from .variants import build_mlp_variant

#: model builders by name: ``Run.model`` picks one, ``Run.model_args`` are its arguments
BUILDERS = {
    "mlp_vae": build_mlp_vae,
    "conv_vae": build_conv_vae,
    "conv_mmd_vae": build_conv_mmd_vae,
    "classifier": build_classifier,
    "mlp_vae_variant": build_mlp_variant,
}

#: the KL coefficients of notebook 03's sweep (the KL-coefficient article's values)
KL_WEIGHTS = (0.0, 0.02, 0.1, 0.5, 1.0, 2.0, 10.0, 20.0)

#: notebook 06's latent size beyond 2, for the conv VAE and MMD-VAE on Fashion-MNIST
WIDE_LATENT_DIM = 16


def build_model(run: Run):
    """Seed everything with ``run.seed``, then build ``run``'s (uncompiled, unbuilt) model."""
    seed_everything(run.seed)
    return BUILDERS[run.model](**run.model_args)


def input_shape(run: Run) -> tuple:
    """The shape of one input of ``run``'s model: ``(784,)`` flat or ``(28, 28, 1)``."""
    return (FLAT_DIM,) if run.flatten else IMAGE_SHAPE


def load_data(run: Run) -> ImageDataset:
    """The run's dataset: the training subset drawn with ``run.seed``, the whole test set."""
    if run.dataset == "image_folder":
        raise ValueError(f"run {run.name!r} learns from a folder of images, which only you can "
                         "name: pass data=vaetutor.data.split_image_folder("
                         "vaetutor.data.load_image_folder(folder), test_size)")
    return load_dataset(run.dataset, flatten=run.flatten, binarize=run.binarize,
                        train_size=run.train_size, seed=run.seed)


def fit_data(run: Run, data: ImageDataset) -> tuple:
    """``(x, y, validation)`` for ``fit``: images alone for the autoencoders (``y`` None,
    validation ``(x_test,)``), (image, class) pairs for the classifier; validation None when
    ``run.validate`` is False."""
    if run.model == "classifier":
        pairs = (data.x_train, np.asarray(data.y_train))
        validation = (data.x_test, np.asarray(data.y_test))
    else:
        pairs, validation = (data.x_train, None), (data.x_test,)
    return (*pairs, validation if run.validate else None)


def compile_arguments(run: Run) -> dict:
    """What ``compile`` needs besides the optimizer: the classifier's loss and accuracy;
    nothing for the autoencoders, whose loss is their own ``compute_loss``."""
    return classifier_compile_arguments() if run.model == "classifier" else {}


def _profiles(full: dict, quick: dict, profile: str | None) -> dict:
    return full if (profile or current_profile()) == "full" else quick


def mlp_vae_run(profile: str | None = None) -> Run:
    """Notebook 02: the MLP VAE on MNIST with the MLP-VAE article's settings."""
    return Run(
        name="mlp_vae_mnist", model="mlp_vae", dataset="mnist", flatten=True,
        model_args=dict(latent_dim=2, seed=42), learning_rate=1e-3, seed=42,
        **_profiles(dict(epochs=30, batch_size=64, train_size=None),
                    dict(epochs=3, batch_size=64, train_size=12_000), profile),
    )


def kl_sweep_run(kl_weight: float, profile: str | None = None) -> Run:
    """Notebook 03: the MLP VAE with ``loss = reconstruction + kl_weight * KL``."""
    c = float(kl_weight)
    return Run(name=f"kl_sweep_c{c:g}", model="mlp_vae",
               model_args=dict(latent_dim=2, kl_weight=c, seed=7), **_kl_sweep_training(profile))


def _kl_sweep_training(profile) -> dict:
    """The KL sweep's data and training (all but the model)."""
    return dict(dataset="mnist", flatten=True, learning_rate=1e-3, seed=7, validate=False,
                start="kl_sweep_start",
                **_profiles(dict(epochs=40, batch_size=128, train_size=None),
                            dict(epochs=3, batch_size=128, train_size=10_000), profile))


def conv_run(model: str, dataset: str, *, binarize: bool = False, latent_dim: int = 2,
             profile: str | None = None) -> Run:
    """Notebooks 04, 05 and 06: the conv VAE (``"conv_vae"``) or MMD-VAE (``"conv_mmd_vae"``).

    The Fashion-MNIST article's settings: Adam 1e-4, 50 epochs, batch 100, snapshots every 10
    epochs (2-D codes only; other ``latent_dim`` keep no snapshots). The binarised-MNIST VAE
    follows TensorFlow's convolutional VAE tutorial, whose test ELBO notebook 04 compares with:
    batch 32, 10 epochs. The quick profile uses 1e-3 so that two short epochs show structure.
    """
    kind = {"conv_vae": "conv_vae", "conv_mmd_vae": "mmd_vae"}[model]
    data_name = ("binarized_" if binarize else "") + dataset
    size = "" if latent_dim == 2 else f"_{latent_dim}d"
    if binarize:
        settings = _profiles(dict(epochs=10, batch_size=32, learning_rate=1e-4, train_size=None),
                             dict(epochs=1, batch_size=32, learning_rate=1e-3, train_size=6000),
                             profile)
        snapshot_every = None
    else:
        settings = _profiles(dict(epochs=50, batch_size=100, learning_rate=1e-4,
                                  train_size=None, snapshot_every=10),
                             dict(epochs=2, batch_size=100, learning_rate=1e-3,
                                  train_size=6000, snapshot_every=2), profile)
        # snapshots (pictures of training) for the notebooks' 2-D runs only: every clone
        # carries published files, and notebook 06's wider codes need only the final weights
        snapshot_every = settings.pop("snapshot_every")
        snapshot_every = snapshot_every if latent_dim == 2 else None
    return Run(name=f"{kind}_{data_name}{size}", model=model, dataset=dataset,
               binarize=binarize, model_args=dict(latent_dim=latent_dim, seed=3), seed=3,
               snapshot_every=snapshot_every, **settings)


def classifier_run(dataset: str, profile: str | None = None) -> Run:
    """Notebook 06: the classifier that scores samples, trained once on the real images.

    :func:`vaetutor.sample_quality.build_classifier` with Adam 1e-3, batch 128, 5 epochs on the
    60,000 training images (quick: 1 epoch on 6,000), the test set as validation data.
    """
    return Run(name=f"classifier_{dataset}", model="classifier", dataset=dataset,
               learning_rate=1e-3, seed=11,
               **_profiles(dict(epochs=5, batch_size=128, train_size=None),
                           dict(epochs=1, batch_size=128, train_size=6000), profile))


# --- notebook 07: when a VAE goes wrong -------------------------------------------------------

#: notebook 07's wide latent space, where units go unused
MANY_LATENT_DIM = 32
#: the remedies notebook 07 measures against unused units: build_mlp_vae's options for each
LATENT_REMEDIES = {"none": {}, "warmup": {"kl_warmup_epochs": 10},
                   "free_bits": {"free_bits": 0.25}}
#: the decoder likelihoods notebook 07 compares for sharpness: Gaussian sigma, or "optimal"
GAUSSIAN_SIGMAS = (0.5, 0.05, "optimal")
#: notebook 07's one-epoch runs that try to end in NaN, and their remedies:
#: (model, learning rate, model options)
NAN_CASES = {
    "probabilities": ("mlp_vae_variant", 0.03, {"variant": "probabilities"}),
    "logits": ("mlp_vae", 0.03, {}),
    "large_step": ("mlp_vae", 1.0, {}),
    "large_step_bounded": ("mlp_vae", 1.0, {"log_var_limit": 10.0}),
    "small_step": ("mlp_vae", 1e-3, {}),
}
#: the seeds (initial weights and data order) notebook 07 trains the far too large step with,
#: bounded and not, and the usual step: whether a step that large ends in NaN varies from seed
#: to seed
NAN_SEEDS = (1, 2, 3, 4, 5, 6)
#: notebook 07's initialisation runs: (init, learning rate)
INIT_CASES = (("keras", 1e-4), ("pytorch", 1e-4), ("keras", 1e-3))


def pixel_mean_run(profile: str | None = None) -> Run:
    """Notebook 07: notebook 03's c = 1 run with the reconstruction averaged over the pixels
    (:class:`vaetutor.variants.PixelMeanVAE`), from the sweep's shared start."""
    return Run(name="pixel_mean_mnist", model="mlp_vae_variant",
               model_args=dict(variant="pixel_mean", latent_dim=2, kl_weight=1.0, seed=7),
               **_kl_sweep_training(profile))


def _wide_mlp_run(name: str, model: str, model_args: dict, profile) -> Run:
    """Notebook 07's 32-D MLP VAE (784-256-32) on MNIST: Adam 1e-3, batch 128, 30 epochs."""
    return Run(name=name, model=model, dataset="mnist", flatten=True,
               model_args=dict(latent_dim=MANY_LATENT_DIM, hidden_units=[256], seed=5,
                               **model_args),
               learning_rate=1e-3, seed=5,
               **_profiles(dict(epochs=30, batch_size=128, train_size=None),
                           dict(epochs=2, batch_size=128, train_size=6000), profile))


def latent_units_run(remedy: str, profile: str | None = None) -> Run:
    """Notebook 07: the 32-D MLP VAE plain (``"none"``), with KL warm-up over the first 10
    epochs (``"warmup"``; quick: 1) or with free bits of 0.25 nats per dimension."""
    if remedy not in LATENT_REMEDIES:
        raise ValueError(f"unknown remedy {remedy!r}; expected one of {list(LATENT_REMEDIES)}")
    options = dict(LATENT_REMEDIES[remedy])
    if "kl_warmup_epochs" in options and (profile or current_profile()) == "quick":
        options["kl_warmup_epochs"] = 1
    return _wide_mlp_run(f"latent{MANY_LATENT_DIM}_{remedy}", "mlp_vae", options, profile)


def gaussian_decoder_run(sigma, profile: str | None = None) -> Run:
    """Notebook 07: the 32-D MLP VAE with a Gaussian decoder of fixed ``sigma``, or the
    sigma-VAE (``"optimal"``); the Bernoulli one is ``latent_units_run("none")``."""
    if sigma not in GAUSSIAN_SIGMAS:
        raise ValueError(f"sigma must be one of {GAUSSIAN_SIGMAS}; got {sigma!r}")
    name = f"gaussian_sigma_{sigma}" if sigma == "optimal" else f"gaussian_sigma{sigma:g}"
    return _wide_mlp_run(name, "mlp_vae_variant", dict(variant="gaussian", sigma=sigma), profile)


def nan_run(case: str, seed: int = 1) -> Run:
    """Notebook 07: one epoch on 10,000 binarised MNIST images that may end in NaN, or its
    remedy (:data:`NAN_CASES`); the 2-D MLP VAE with 256 hidden units, batch 128, its weights
    and data order drawn from ``seed``. The same in both profiles: it takes seconds."""
    if case not in NAN_CASES:
        raise ValueError(f"unknown case {case!r}; expected one of {list(NAN_CASES)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    model, learning_rate, options = NAN_CASES[case]
    return Run(name=f"nan_{case}" + (f"_seed{seed}" if seed != 1 else ""), model=model,
               dataset="mnist", flatten=True, binarize=True,
               model_args=dict(latent_dim=2, hidden_units=[256], seed=seed, **options),
               learning_rate=learning_rate, seed=seed, epochs=1, batch_size=128,
               train_size=10_000, validate=False)


def image_folder_run(profile: str | None = None) -> Run:
    """Notebook 07: the conv VAE (2-D) trained on the images of a folder, all but
    :func:`folder_images`' held-out ones: Adam 1e-3, batch 100, 20 epochs (quick: 2)."""
    written, held_out = folder_images(profile)
    return Run(name="conv_vae_image_folder", model="conv_vae", dataset="image_folder",
               model_args=dict(latent_dim=2, seed=3), learning_rate=1e-3, seed=3,
               batch_size=100, train_size=written - held_out,
               epochs=_profiles(dict(epochs=20), dict(epochs=2), profile)["epochs"])


def folder_images(profile: str | None = None) -> tuple[int, int]:
    """``(written, held out)``: how many MNIST test images notebook 07 writes to its image
    folder, and how many of them it holds out as the test set (full 5,000 and 1,000)."""
    return _profiles((5000, 1000), (2000, 500), profile)


def init_run(init: str, learning_rate: float, profile: str | None = None) -> Run:
    """Notebook 07: the conv VAE (2-D) of notebook 04 with Keras' (``"keras"``) or PyTorch's
    (``"pytorch"``) default initialisation, on 20,000 binarised Fashion-MNIST images: batch
    100, 10 epochs (quick: 2 on 4,000)."""
    if init not in ("keras", "pytorch"):
        raise ValueError(f"init must be 'keras' or 'pytorch'; got {init!r}")
    return Run(name=f"conv_vae_{init}_init_lr{learning_rate:g}", model="conv_vae",
               dataset="fashion_mnist", binarize=True,
               model_args=dict(latent_dim=2, seed=3, init=init), learning_rate=learning_rate,
               seed=3, batch_size=100,
               **_profiles(dict(epochs=10, train_size=20_000),
                           dict(epochs=2, train_size=4000), profile))


def chapter_07_runs(profile: str | None = None) -> list[Run]:
    """Notebook 07's published runs (the NaN runs and the image-folder run's data are made in
    the notebook; the image-folder run is published too, for the folder the notebook writes)."""
    return [pixel_mean_run(profile), *(latent_units_run(r, profile) for r in LATENT_REMEDIES),
            *(gaussian_decoder_run(s, profile) for s in GAUSSIAN_SIGMAS),
            image_folder_run(profile),
            *(init_run(i, lr, profile) for i, lr in INIT_CASES)]


def series_runs(profile: str | None = None) -> dict[str, Run]:
    """Every run of the series, by name, in the order the notebooks use them."""
    runs = [mlp_vae_run(profile), *(kl_sweep_run(c, profile) for c in KL_WEIGHTS)]
    runs += [conv_run("conv_vae", "fashion_mnist", profile=profile),
             conv_run("conv_vae", "mnist", profile=profile),
             conv_run("conv_vae", "mnist", binarize=True, profile=profile),
             conv_run("conv_mmd_vae", "fashion_mnist", profile=profile),
             conv_run("conv_mmd_vae", "mnist", profile=profile),
             conv_run("conv_vae", "fashion_mnist", latent_dim=WIDE_LATENT_DIM, profile=profile),
             conv_run("conv_mmd_vae", "fashion_mnist", latent_dim=WIDE_LATENT_DIM,
                      profile=profile),
             classifier_run("mnist", profile), classifier_run("fashion_mnist", profile),
             *chapter_07_runs(profile)]
    return {run.name: run for run in runs}
