"""Atomic writes: a file is either the old one or the complete new one, never half written."""

from __future__ import annotations

import json
import os
from pathlib import Path


def save_weights_atomically(model, path: Path) -> None:
    """``model.save_weights(path)`` through a temporary file renamed into place."""
    path = Path(path)
    tmp = path.with_name(path.name.replace(".weights.h5", ".partial.weights.h5"))
    model.save_weights(tmp)
    os.replace(tmp, path)


def write_json_atomically(data, path: Path) -> None:
    """Write ``data`` as JSON through a temporary file renamed into place."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def check_or_write_settings(directory: Path, settings: dict) -> None:
    """Record ``settings`` in ``directory/settings.json``, or check they match the recorded ones.

    Raises ValueError when the folder holds results made with other settings, so that they are
    never overwritten or mixed silently.
    """
    settings_file = Path(directory) / "settings.json"
    if settings_file.exists():
        saved = json.loads(settings_file.read_text())
        if saved != settings:
            raise ValueError(
                f"{directory} holds results made with {saved}, not {settings}; "
                "use another directory or delete this one to start afresh"
            )
    else:
        write_json_atomically(settings, settings_file)
