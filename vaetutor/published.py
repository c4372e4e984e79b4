"""Published runs: trained weights and histories committed with the project, and how to use them.

``published/`` at the project root holds, for each full-profile run of the series, its final
weights, the weights kept at its snapshot epochs and its per-epoch history, listed in
``published/manifest.json`` with their sha256, the run's settings, its training time and the
machine it was trained on. :func:`obtain_run` uses a published run when its settings match the
run asked for, and trains otherwise (or when asked to with ``VAETUTOR_RETRAIN=1``). A file whose
content does not match the manifest is an error that names it: it is never used silently.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ._files import read_json, write_json_atomically
from .profiles import current_profile
from .training import FINAL, HISTORY, TrainedRun, open_run, train

#: environment variable: a folder of published runs to use instead of the project's
FOLDER_VAR = "VAETUTOR_PUBLISHED"
#: environment variable: ``1`` trains every run here even when a published one matches
RETRAIN_VAR = "VAETUTOR_RETRAIN"
#: environment variable: where runs trained here are kept (default ``artifacts`` in the
#: working directory)
ARTIFACTS_VAR = "VAETUTOR_ARTIFACTS"
#: environment variable: ``1`` makes :func:`obtain_run` fail instead of training when no
#: published run matches (``make test-full``: checking the committed notebooks must not train)
REQUIRE_VAR = "VAETUTOR_REQUIRE_PUBLISHED"
MANIFEST = "manifest.json"


class PublishedRunError(ValueError):
    """A published file is missing, damaged, or does not match its manifest entry."""


def published_folder() -> Path:
    """``$VAETUTOR_PUBLISHED``, or ``published/`` beside the ``vaetutor`` package."""
    return Path(os.environ.get(FOLDER_VAR) or Path(__file__).resolve().parents[1] / "published")


def sha256(path) -> str:
    """Hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder=None) -> dict:
    """``{run name: entry}`` of the manifest in ``folder`` (empty if there is none)."""
    path = Path(folder or published_folder()) / MANIFEST
    if not path.exists():
        return {}
    manifest = read_json(path, what="the manifest of the published runs")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("runs"), dict):
        raise PublishedRunError(f"{path} has no 'runs' mapping: it is not a manifest of "
                                "published runs")
    return manifest["runs"]


def verified_files(name: str, entry: dict, folder) -> dict[str, Path]:
    """The files of published run ``name``, each checked against its manifest sha256."""
    files = {}
    for file_name, expected in entry.get("files", {}).items():
        path = Path(folder) / name / file_name
        if not path.exists():
            raise PublishedRunError(f"published run {name!r}: {path} is listed in the manifest "
                                    "but missing; restore it (git checkout -- published)")
        actual = sha256(path)
        if actual != expected:
            raise PublishedRunError(
                f"published run {name!r}: {path} is damaged or was changed (sha256 {actual[:12]}…,"
                f" manifest {expected[:12]}…); restore it with git checkout -- {path.parent}, or "
                f"set {RETRAIN_VAR}=1 to train the run here instead")
        files[file_name] = path
    if FINAL not in files or HISTORY not in files:
        raise PublishedRunError(f"published run {name!r} lists no {FINAL} or {HISTORY} in "
                                f"{Path(folder) / MANIFEST}")
    return files


def find_published(run, folder=None) -> tuple[dict | None, str]:
    """``(entry, "")`` for the published run with ``run``'s name and settings, else
    ``(None, why not)``."""
    folder = Path(folder or published_folder())
    entry = read_manifest(folder).get(run.name)
    if entry is None:
        return None, f"no published run named {run.name!r}"
    if entry.get("settings") != run.settings():
        differ = sorted(k for k in set(entry.get("settings", {})) | set(run.settings())
                        if entry.get("settings", {}).get(k) != run.settings().get(k))
        return None, f"the published run {run.name!r} has other settings ({', '.join(differ)})"
    return entry, ""


def load_published(run, entry: dict, folder=None) -> TrainedRun:
    """The published run ``run`` (after :func:`find_published`): model, history, snapshots."""
    folder = Path(folder or published_folder())
    files = verified_files(run.name, entry, folder)
    return open_run(run, files[FINAL].parent, source="published", info=entry)


def describe(trained: TrainedRun) -> str:
    """One line: which run, how it was trained, how long it took, and where it came from."""
    minutes, secs = divmod(round(trained.seconds), 60)
    took = f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
    run = trained.run
    if trained.source == "published":
        info = trained.info
        return (f"Published run {run.name}: {run.describe()}; trained in {took} on "
                f"{info.get('machine', 'an unrecorded machine')} ({info.get('software', '')}). "
                f"Set {RETRAIN_VAR}=1 to train it here instead.")
    verb = {"trained": "trained here", "resumed": "trained here (resumed from checkpoints)",
            "local": "trained here earlier"}[trained.source]
    return f"Run {run.name}: {run.describe()}; {verb} in {took}."


def local_directory(run) -> Path:
    """Where ``run`` is trained here: ``artifacts/<name>`` for the full profile; for the quick
    profile a new temporary folder on every call (removed when Python exits), so that quick
    runs always train from scratch."""
    if current_profile() == "quick":
        root = Path(tempfile.mkdtemp(prefix="vaetutor-quick-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
    else:
        root = Path(os.environ.get(ARTIFACTS_VAR) or "artifacts")
    return root / run.name


def retrain_requested() -> bool:
    value = os.environ.get(RETRAIN_VAR, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{RETRAIN_VAR} must be 0 or 1; got {value!r}")
    return value == "1"


def obtain_run(run, data=None, *, retrain: bool | None = None, log_every: int = 1,
               folder=None, verbose: bool = True) -> TrainedRun:
    """The trained ``run``: published if a published run has its settings, else trained here.

    ``retrain`` (default: ``VAETUTOR_RETRAIN=1``) skips the published run and trains in
    :func:`local_directory` (resuming from its checkpoints). With ``verbose`` one line says
    which run it is and how it was trained (:func:`describe`).
    """
    retrain = retrain_requested() if retrain is None else retrain
    trained = None
    if not retrain:
        entry, why_not = find_published(run, folder)
        if entry is not None:
            trained = load_published(run, entry, folder)
    if trained is None:
        if os.environ.get(REQUIRE_VAR) == "1" and not retrain:
            raise PublishedRunError(f"{REQUIRE_VAR}=1 but there is no usable published run for "
                                    f"{run.name!r}: {why_not}")
        trained = train(run, data, directory=local_directory(run), log_every=log_every)
    if verbose:
        print(describe(trained), flush=True)
    return trained


def publish(trained: TrainedRun, *, machine: str, software: str, folder=None,
            note: str = "") -> dict:
    """Copy a finished run's final weights, snapshots and history into the published folder
    and record them in the manifest; returns the manifest entry."""
    folder = Path(folder or published_folder())
    run, source = trained.run, Path(trained.directory)
    names = [FINAL, HISTORY] + [f"snapshot_{e:04d}.weights.h5" for e in run.snapshot_epochs()]
    target = folder / run.name
    target.mkdir(parents=True, exist_ok=True)
    for file_name in names:
        if not (source / file_name).exists():
            raise PublishedRunError(f"cannot publish {run.name!r}: {source / file_name} is "
                                    "missing (is the run finished?)")
        shutil.copyfile(source / file_name, target / f"{file_name}.partial")
        os.replace(target / f"{file_name}.partial", target / file_name)
    entry = {
        "settings": run.settings(),
        "epochs": len(trained.epoch_seconds),
        "seconds": round(trained.seconds, 1),
        "machine": machine,
        "software": software,
        "files": {file_name: sha256(target / file_name) for file_name in names},
    }
    if note:
        entry["note"] = note
    manifest_path = folder / MANIFEST
    runs = read_manifest(folder)
    runs[run.name] = entry
    write_json_atomically({"runs": runs}, manifest_path)
    return entry
