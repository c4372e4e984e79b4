"""A training run as plain settings: which model, which data, how it is trained.

A :class:`Run` names its model and dataset by strings; what they mean (which builder, which
loader) is the series' catalogue, :mod:`vaetutor.runs`, and the training engine,
:mod:`vaetutor.training`, trains any run. :meth:`Run.settings` is what the engine records
beside the checkpoints and what a published run must match.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

#: the models a run can name (the catalogue's builders), as the one-line descriptions say them
MODEL_NAMES = {"mlp_vae": "MLP VAE", "conv_vae": "conv VAE", "conv_mmd_vae": "conv MMD-VAE",
               "classifier": "conv classifier", "mlp_vae_variant": "MLP VAE variant"}
#: the datasets a run can name
DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST",
                 "image_folder": "image-folder"}


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
        if self.model not in MODEL_NAMES:
            raise ValueError(f"run {self.name!r}: unknown model {self.model!r}; "
                             f"expected one of {sorted(MODEL_NAMES)}")
        if self.dataset not in DATASET_NAMES:
            raise ValueError(f"run {self.name!r}: unknown dataset {self.dataset!r}; "
                             f"expected one of {sorted(DATASET_NAMES)}")
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

    def describe(self) -> str:
        """One line: model, data and training settings."""
        data = DATASET_NAMES[self.dataset]
        data = ("binarised " if self.binarize else "") + data
        size = "60,000" if self.train_size is None else f"{self.train_size:,}"
        arguments = ", ".join(f"{k}={v}" for k, v in self.model_args.items())
        arguments = f" ({arguments})" if arguments else ""
        epochs = f"{self.epochs} epoch" + ("" if self.epochs == 1 else "s")
        return (f"{MODEL_NAMES[self.model]}{arguments} on {size} {data} training images: {epochs}, "
                f"batch {self.batch_size}, Adam {self.learning_rate:g}, seed {self.seed}")

    def snapshot_epochs(self) -> list[int]:
        """The epochs whose weights are kept besides the last: multiples of ``snapshot_every``."""
        if self.snapshot_every is None:
            return []
        return [e for e in range(self.snapshot_every, self.epochs, self.snapshot_every)]
