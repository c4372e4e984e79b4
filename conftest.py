"""pytest set-up shared by the unit tests and the notebooks under nbval.

The committed outputs are the full profile's, on TensorFlow. Notebook cells tagged
``checked-in-full-profile`` print numbers that depend on the training profile: nbval compares
their output with the committed one only when ``VAETUTOR_PROFILE=full`` (``make test-full``), and
ignores it in the quick profile (``make test``). Cells tagged ``checked-on-tensorflow`` print what
the package chooses per backend (the optimizer, batches per call): compared on TensorFlow only,
executed on every backend. Cells tagged ``nbval-ignore-output`` (timings) are never compared.
"""

import os

FULL_PROFILE_TAG = "checked-in-full-profile"
TENSORFLOW_TAG = "checked-on-tensorflow"


def pytest_collection_modifyitems(config, items):
    quick = os.environ.get("VAETUTOR_PROFILE", "full") != "full"
    other_backend = os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow"
    for item in items:
        cell = getattr(item, "cell", None)
        options = getattr(item, "options", None)
        if cell is None or options is None:
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if (quick and FULL_PROFILE_TAG in tags) or (other_backend and TENSORFLOW_TAG in tags):
            options["check"] = False
