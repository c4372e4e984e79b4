"""Writing and reading the package's files: atomically, and with errors that name the file.

A file is either the old one or the complete new one, never half written: each is written to a
temporary name beside it and renamed into place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def save_model_weights(model, path, *, with_optimizer: bool = False) -> None:
    """Save ``model``'s weights to ``path`` (``.weights.h5``) through a temporary file.

    Keras' ``save_weights`` also stores a compiled model's optimizer state; that is kept only
    ``with_optimizer`` (checkpoints to resume from). Without it, the file holds the model's
    weights alone (what a published or final model needs), written from a copy of the model
    (the input shape from the model's ``encoder``, or from the model itself: the classifier).
    """
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"a weights file name must end in .weights.h5; got {path.name}")
    tmp = path.with_name(path.name.replace(".weights.h5", ".partial.weights.h5"))
    if with_optimizer or getattr(model, "optimizer", None) is None:
        model.save_weights(tmp)
    else:
        import numpy as np

        twin = model.__class__.from_config(model.get_config())
        inputs = getattr(model, "encoder", model).inputs[0]
        twin(np.zeros((1, *inputs.shape[1:]), "float32"))  # build the weights
        twin.set_weights(model.get_weights())
        twin.save_weights(tmp)
    os.replace(tmp, path)


def write_json_atomically(data, path) -> None:
    """Write ``data`` as JSON (indented, keys sorted) through a temporary file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_json(path, *, what: str):
    """Parse the JSON file ``path`` holding ``what``; a clear ValueError if it is not JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path} should hold {what} as JSON but cannot be parsed ({err.msg} at line "
            f"{err.lineno}, column {err.colno}); restore it, or delete the folder to start over"
        ) from None


def check_or_write_settings(directory, settings: dict) -> None:
    """Record ``settings`` in ``directory/settings.json``, or check they match the recorded ones.

    Raises ValueError when the folder holds results made with other settings (naming the
    settings that differ), so that they are never overwritten or mixed silently.
    """
    settings_file = Path(directory) / "settings.json"
    if not settings_file.exists():
        write_json_atomically(settings, settings_file)
        return
    saved = read_json(settings_file, what="a run's settings")
    # compare as JSON would store them (tuples become lists)
    wanted = json.loads(json.dumps(settings))
    if saved != wanted:
        keys = sorted(set(saved) | set(wanted)) if isinstance(saved, dict) else []
        differ = [f"{k}: {saved.get(k)!r} there, {wanted.get(k)!r} here" for k in keys
                  if saved.get(k) != wanted.get(k)]
        raise ValueError(
            f"{directory} holds a run made with other settings ({'; '.join(differ) or saved}); "
            "use another folder, or delete this one to start afresh"
        )
