"""The series' training runs, each named and defined once: model, data and settings per profile.

A :class:`Run` is everything that determines a trained model: which builder and with which
arguments, which data, and how it is trained. Its :meth:`Run.settings` are what the training
engine records beside the checkpoints and what a published run must match. Notebooks that share
a run (04, 05 and 06 use the conv VAE) look it up here by name, so its settings are written once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from .conv import build_conv_mmd_vae, build_conv_vae
from .data import ImageDataset, load_dataset
from .mlp import build_mlp_vae
from .profiles import current_profile
from .sample_quality import build_classifier, classifier_compile_arguments
from .seeding import seed_everything

#: model builders by name: ``Run.model`` picks one, ``Run.model_args`` are its arguments
BUILDERS = {
    "mlp_vae": build_mlp_vae,
    "conv_vae": build_conv_vae,
    "conv_mmd_vae": build_conv_mmd_vae,
    "classifier": build_classifier,
}

#: models trained on (image, class) pairs; the others on images alone
SUPERVISED = {"classifier"}

#: the KL coefficients of notebook 03's sweep (the KL-coefficient article's values)
KL_WEIGHTS = (0.0, 0.02, 0.1, 0.5, 1.0, 2.0, 10.0, 20.0)

#: notebook 06's latent size beyond 2, for the conv VAE and MMD-VAE on Fashion-MNIST
WIDE_LATENT_DIM = 16


@dataclass(frozen=True)
class Run:
    """One training run: ``model``'s builder with ``model_args``, trained on a dataset.

    Training: Adam with ``learning_rate``, ``epochs`` passes over ``train_size`` training images
    (``None``: all) in batches of ``batch_size``, shuffled per epoch from ``seed``; the test set
    is the validation data when ``validate``. ``snapshot_every`` keeps the weights every that
    many epochs (for pictures of training). Runs with the same ``start`` begin from the same
    saved initial weights (the KL sweep).
    """

    name: str
    model: str
    dataset: str
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int
    train_size: int | None = None
    flatten: bool = False
    binarize: bool = False
    validate: bool = True
    snapshot_every: int | None = None
    start: str | None = None
    model_args: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.model not in BUILDERS:
            raise ValueError(f"run {self.name!r}: unknown model {self.model!r}; "
                             f"expected one of {sorted(BUILDERS)}")
        for key in ("epochs", "batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"run {self.name!r}: {key} must be a positive integer; "
                                 f"got {value!r}")
        if self.snapshot_every is not None and (
                not isinstance(self.snapshot_every, int) or self.snapshot_every < 1):
            raise ValueError(f"run {self.name!r}: snapshot_every must be a positive integer "
                             f"or None; got {self.snapshot_every!r}")

    def settings(self) -> dict:
        """Everything but the name, as JSON-ready values: what makes two runs the same run."""
        settings = dataclasses.asdict(self)
        del settings["name"]
        settings["learning_rate"] = float(self.learning_rate)
        return json.loads(json.dumps(settings))  # as stored: tuples become lists

    @property
    def supervised(self) -> bool:
        """Whether the model learns from (image, class) pairs (the classifier) or images alone."""
        return self.model in SUPERVISED

    def compile_arguments(self) -> dict:
        """What ``compile`` needs besides the optimizer: the classifier's loss and accuracy;
        nothing for the autoencoders, whose loss is their own ``compute_loss``."""
        return classifier_compile_arguments() if self.supervised else {}

    def describe(self) -> str:
        """One line: model, data and training settings."""
        names = {"mlp_vae": "MLP VAE", "conv_vae": "conv VAE", "conv_mmd_vae": "conv MMD-VAE",
                 "classifier": "conv classifier"}
        data = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}[self.dataset]
        data = ("binarised " if self.binarize else "") + data
        size = "60,000" if self.train_size is None else f"{self.train_size:,}"
        arguments = ", ".join(f"{k}={v}" for k, v in self.model_args.items())
        arguments = f" ({arguments})" if arguments else ""
        epochs = f"{self.epochs} epoch" + ("" if self.epochs == 1 else "s")
        return (f"{names[self.model]}{arguments} on {size} {data} training images: {epochs}, "
                f"batch {self.batch_size}, Adam {self.learning_rate:g}, seed {self.seed}")

    def build_model(self):
        """Seed everything with ``seed``, then build the (uncompiled) model."""
        seed_everything(self.seed)
        return BUILDERS[self.model](**self.model_args)

    def load_data(self) -> ImageDataset:
        """The run's dataset: the training subset drawn with ``seed``, the whole test set."""
        return load_dataset(self.dataset, flatten=self.flatten, binarize=self.binarize,
                            train_size=self.train_size, seed=self.seed)

    def snapshot_epochs(self) -> list[int]:
        """The epochs whose weights are kept besides the last: multiples of ``snapshot_every``."""
        if self.snapshot_every is None:
            return []
        return [e for e in range(self.snapshot_every, self.epochs, self.snapshot_every)]


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
    return Run(
        name=f"kl_sweep_c{c:g}", model="mlp_vae", dataset="mnist", flatten=True,
        model_args=dict(latent_dim=2, kl_weight=c, seed=7), learning_rate=1e-3, seed=7,
        validate=False, start="kl_sweep_start",
        **_profiles(dict(epochs=40, batch_size=128, train_size=None),
                    dict(epochs=3, batch_size=128, train_size=10_000), profile),
    )


def conv_run(model: str, dataset: str, *, binarize: bool = False, latent_dim: int = 2,
             profile: str | None = None) -> Run:
    """Notebooks 04, 05 and 06: the conv VAE (``"conv_vae"``) or MMD-VAE (``"conv_mmd_vae"``).

    The Fashion-MNIST article's settings: Adam 1e-4, 50 epochs, batch 100, snapshots every 10
    epochs (2-D codes only; other ``latent_dim`` keep no snapshots). The binarised-MNIST VAE
    follows the published reproduction it is compared with: batch 32, 10 epochs. The quick
    profile uses 1e-3 so that two short epochs show structure.
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
             classifier_run("mnist", profile), classifier_run("fashion_mnist", profile)]
    return {run.name: run for run in runs}
