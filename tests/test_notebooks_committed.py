"""The committed notebooks: paired with their .py source, executed in the full profile, clean.

nbval (in ``make test``) re-runs them; these checks cover what re-running cannot: that the
outputs a reader sees came from the full profile and carry no machine paths or warnings.
"""

import importlib.util
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
MACHINE_PATH = re.compile(r"/(home|root|Users|work)/|/tmp/[A-Za-z]|\b[A-Z]:\\[A-Za-z]")


def outputs(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            yield index, cell, output


def output_text(output):
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    return str(output.get("data", {}).get("text/plain", ""))


def test_every_notebook_has_its_jupytext_pair():
    assert NOTEBOOKS, "no notebooks found"
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_holds_the_same_cells(path):
    committed = nbformat.read(path, as_version=4)
    source = jupytext.read(path.with_suffix(".py"))
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in source.cells
    ], f"{path.name} and its .py differ: run `make sync`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_come_from_a_complete_full_profile_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "some cells were not executed"
    texts = [output_text(o) for _, _, o in outputs(nb)]
    assert any(t.startswith("Profile: full") for t in texts), "not run with VAETUTOR_PROFILE=full"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_have_no_errors_warnings_or_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    for index, _, output in outputs(nb):
        assert output.output_type != "error", f"cell {index} raised"
        assert not (output.output_type == "stream" and output.name == "stderr"), (
            f"cell {index} wrote to stderr: {output.text[:200]!r}"
        )
        found = MACHINE_PATH.search(output_text(output))
        assert not found, f"cell {index} shows a machine path: {found.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_key_figure_is_tagged_and_has_a_thumbnail(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "key-figure" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "tag exactly one cell 'key-figure' (its figure is the thumbnail)"
    assert any({"image/png", "image/jpeg"} & set(o.get("data", {})) for o in tagged[0].outputs)
    assert (ROOT / "docs" / "thumbnails" / f"{path.stem}.png").is_file(), "run `make thumbnails`"


class _FakeItem:
    """What the root conftest's hook reads of an nbval cell item."""

    def __init__(self, tags):
        self.cell = {"metadata": {"tags": tags}}
        self.options = {"check": True}


@pytest.mark.parametrize("profile, backend, expected", [
    ("full", "tensorflow", [True, True, True]),
    ("quick", "tensorflow", [True, False, True]),
    ("full", "jax", [True, True, False]),
    ("quick", "torch", [True, False, False]),
])
def test_tagged_cells_are_compared_only_where_their_committed_output_holds(
        monkeypatch, profile, backend, expected):
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    monkeypatch.setenv("VAETUTOR_PROFILE", profile)
    monkeypatch.setenv("KERAS_BACKEND", backend)
    items = [_FakeItem([]), _FakeItem([conftest.FULL_PROFILE_TAG]),
             _FakeItem([conftest.TENSORFLOW_TAG])]
    conftest.pytest_collection_modifyitems(None, items)
    assert [item.options["check"] for item in items] == expected


def test_backend_dependent_cells_are_tagged():
    """A cell printing the package's per-backend choices must be compared on TensorFlow only."""
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "steps_per_execution" in cell.source and \
                    "print(" in cell.source:
                assert "checked-on-tensorflow" in cell.metadata.get("tags", []), path.name


EXPLORER_BUDGET = 2_000_000  # bytes: what the latent explorers may add to one notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_latent_explorers_stay_within_their_budget_and_say_what_they_hold(path):
    nb = nbformat.read(path, as_version=4)
    html = [o.data["text/html"] for _, _, o in outputs(nb)
            if "vaetutor-explorer" in str(o.get("data", {}).get("text/html", ""))]
    size = sum(len(h.encode("utf-8")) for h in html)
    assert size <= EXPLORER_BUDGET, f"the explorers add {size / 1e6:.2f} MB to {path.name}"
    for _, _, o in outputs(nb):
        if "vaetutor-explorer" in str(o.get("data", {}).get("text/html", "")):
            assert o.data["text/plain"].startswith("latent explorer"), "its text form says what it is"
