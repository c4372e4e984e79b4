"""The course assignments through the real nbgrader pipeline, in a temporary course directory.

``scripts/make_assignments.py`` builds the course and runs ``nbgrader generate_assignment``; the
tests then hand in submissions as students would (the student version with its solution cells
filled in), run ``nbgrader autograde`` once per assignment for all of them, and
``nbgrader generate_feedback``:

- the student versions hold none of the solution code nor the hidden tests, and no outputs;
- the same sources give byte-identical student notebooks;
- the reference solutions, submitted as a student, get full marks;
- a submission with one typical mistake injected loses exactly the points of the test cells that
  use the mistaken function, and its feedback names the mistake.
"""

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "notebooks" / "exercises"

pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="the nbgrader pipeline runs once, on TensorFlow, in `make test`; the checks "
           "themselves are tested on every backend in tests/test_exercises.py",
)


def _load_script():
    spec = importlib.util.spec_from_file_location("make_assignments",
                                                  ROOT / "scripts" / "make_assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_assignments = _load_script()


@dataclass(frozen=True)
class Mistake:
    """A mistake injected into one solution cell, and what grading must make of it."""

    student: str
    assignment: str
    solution_id: str   # grade_id of the solution cell
    old: str           # text of the reference solution ...
    new: str           # ... replaced by this
    failing: tuple     # grade_ids of the test cells that must fail (and only these)
    named: str         # the mistake's name, as the feedback must show it


MISTAKES = [
    Mistake("m01_missing_half", "01_kl_gaussians", "kl_gaussians_1d", " - 0.5", "",
            ("kl_gaussians_1d_test",), "missing 1/2"),
    Mistake("m01_flipped_sign", "01_kl_gaussians", "kl_gaussians_1d", "ops.log(s2 / s1)",
            "ops.log(s1 / s2)", ("kl_gaussians_1d_test",), "flipped sign"),
    # The training cell trains with the student's own two functions: a sampling that uses the
    # log-variance as a standard deviation, or a KL with its sign flipped, also breaks training.
    Mistake("m02_logvar_as_std", "02_mlp_vae", "reparameterize", "ops.exp(0.5 * z_log_var) * eps",
            "z_log_var * eps", ("reparameterize_test", "training_test"),
            "log-variance used as a standard deviation"),
    Mistake("m02_kl_flipped_sign", "02_mlp_vae", "kl_divergence", "return -0.5 * ops.sum",
            "return 0.5 * ops.sum", ("kl_divergence_test", "training_test"), "flipped sign"),
    Mistake("m02_kl_mean_over_latent", "02_mlp_vae", "kl_divergence", "ops.sum(1.0 + z_log_var",
            "ops.mean(1.0 + z_log_var", ("kl_divergence_test",),
            "mean instead of sum over latent dimensions"),
    Mistake("m03_wrong_column", "03_kl_sweep", "lowest_neg_elbo", 'r["neg_elbo"]',
            'r["loss"]', ("lowest_neg_elbo_test",), "wrong column"),
    Mistake("m04_logvar_as_variance", "04_monte_carlo_elbo", "gaussian_log_density",
            "ops.square(z - mean) * ops.exp(-log_var)", "ops.square(z - mean) / log_var",
            ("gaussian_log_density_test",), "log-variance used as a variance"),
    Mistake("m04_extra_half", "04_monte_carlo_elbo", "gaussian_log_density",
            "-0.5 * ops.sum(LOG_2PI", "-0.25 * ops.sum(LOG_2PI",
            ("gaussian_log_density_test",), "extra 1/2"),
    Mistake("m04_pixel_mean", "04_monte_carlo_elbo", "monte_carlo_elbo",
            "ops.sum(x * logits - ops.softplus(logits), axis=-1)",
            "ops.mean(x * logits - ops.softplus(logits), axis=-1)",
            ("monte_carlo_elbo_test",), "mean instead of sum over pixels"),
    Mistake("m04_batch_reduced", "04_monte_carlo_elbo", "monte_carlo_elbo",
            "return log_px_z + log_pz - log_qz_x", "return ops.mean(log_px_z + log_pz - log_qz_x)",
            ("monte_carlo_elbo_test",), "reduction over the batch instead of per example"),
    Mistake("m05_bandwidth", "05_mmd", "gaussian_kernel_matrix", "ops.exp(-squared / d)",
            "ops.exp(-squared)", ("gaussian_kernel_matrix_test",),
            "bandwidth not divided by the dimension"),
    Mistake("m05_wrong_axis", "05_mmd", "gaussian_kernel_matrix",
            "ops.expand_dims(x, 1) - ops.expand_dims(y, 0)",
            "ops.expand_dims(y, 1) - ops.expand_dims(x, 0)",
            ("gaussian_kernel_matrix_test",), "wrong axis"),
    Mistake("m05_cross_not_doubled", "05_mmd", "maximum_mean_discrepancy",
            "- 2.0 * ops.mean(kernel(x, y))", "- ops.mean(kernel(x, y))",
            ("maximum_mean_discrepancy_test",), "cross term not doubled"),
    Mistake("m05_cross_wrong_sign", "05_mmd", "maximum_mean_discrepancy",
            "- 2.0 * ops.mean(kernel(x, y))", "+ 2.0 * ops.mean(kernel(x, y))",
            ("maximum_mean_discrepancy_test",), "wrong sign of the cross term"),
]
REFERENCE = "reference"


def _read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _between(text, begin, end):
    """Lines strictly between the marker lines ``begin`` and ``end``."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _without_markers(text):
    return "\n".join(line for line in text.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _nbgrader(course, *args):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                            capture_output=True, text=True, env=make_assignments.nbgrader_env())
    assert result.returncode == 0, f"nbgrader {args} failed:\n{result.stdout}{result.stderr}"
    return result


def _submit(course, assignment, student, mistake=None):
    """Hand in the student version with every solution cell filled in from the source."""
    release = course / "release" / assignment
    source_nb = next((course / "source" / assignment).glob("*.ipynb"))
    solutions = {_grade_id(c): _without_markers(_source(c)) for c in _read(source_nb)["cells"]}
    nb = _read(release / source_nb.name)
    for cell in nb["cells"]:
        gid = _grade_id(cell)
        if gid and cell["metadata"]["nbgrader"].get("solution"):
            text = solutions[gid]
            if mistake is not None and mistake.solution_id == gid:
                assert text.count(mistake.old) == 1, f"{mistake.old!r} not once in {gid}"
                text = text.replace(mistake.old, mistake.new)
            cell["source"] = text
    target = course / "submitted" / student / assignment
    shutil.copytree(release, target, dirs_exist_ok=True)
    (target / source_nb.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = tmp_path_factory.mktemp("course")
    make_assignments.build_course(path)
    return path


@pytest.fixture(scope="module")
def graded(course):
    """Submit the reference and every mistake, autograde and write feedback: the scores."""
    from nbgrader.api import Gradebook

    names = list(make_assignments.assignments())
    for name in names:
        _submit(course, name, REFERENCE)
    for mistake in MISTAKES:
        _submit(course, mistake.assignment, mistake.student, mistake)
    # One autograde call grades every submission of every assignment; the same for feedback.
    _nbgrader(course, "autograde", "*", "--force", "--log-level=WARN")
    _nbgrader(course, "generate_feedback", "*", "--force", "--log-level=WARN")
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "vaetutor") as gb:
        for name in names:
            assignment = gb.find_assignment(name)
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    scores[(name, submission.student.id)] = {
                        "score": submission.score, "max": submission.max_score,
                        "grades": {g.name: (g.score, g.max_score) for g in notebook.grades},
                    }
    summary = [f"{a:<20} {s:<26} {v['score']:g}/{v['max']:g}" for (a, s), v in sorted(scores.items())]
    print("\nautograde scores:\n" + "\n".join(summary))
    return scores


def _feedback_text(course, assignment, student):
    page = next((course / "feedback" / student / assignment).glob("*.html")).read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_exercise_notebook_pairs_agree():
    """Each companion .py (jupytext percent) and its .ipynb hold the same cells and nbgrader metadata."""
    import jupytext

    for py in sorted(EXERCISES.glob("[0-9][0-9]_*.py")):
        from_py, from_ipynb = jupytext.read(py), jupytext.read(py.with_suffix(".ipynb"))
        assert [(c.cell_type, c.source.strip(), c.metadata.get("nbgrader")) for c in from_py.cells] == \
            [(c.cell_type, c.source.strip(), c.metadata.get("nbgrader")) for c in from_ipynb.cells], \
            f"{py.name} and its .ipynb disagree: run `make sync`"
        assert any(c.metadata.get("nbgrader", {}).get("grade") for c in from_py.cells)


def test_student_versions_contain_no_solution_code_hidden_tests_or_outputs(course):
    for name, source_nb in make_assignments.assignments().items():
        source = _read(course / "source" / name / source_nb.name)
        student_text = (course / "release" / name / source_nb.name).read_text()
        student = json.loads(student_text)
        hidden = []
        for cell in source["cells"]:
            hidden += _between(_source(cell), "### BEGIN SOLUTION", "### END SOLUTION")
            hidden += _between(_source(cell), "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        assert hidden, f"{name} has no solution"
        student_sources = "\n".join(_source(c) for c in student["cells"])
        for line in hidden:
            if line.strip():
                assert line.strip() not in student_sources, f"{name} leaks {line.strip()!r}"
        assert "BEGIN SOLUTION" not in student_text and "HIDDEN TESTS" not in student_text
        assert "raise NotImplementedError()" in student_sources
        for cell in student["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_same_sources_give_byte_identical_student_notebooks(course, tmp_path):
    again = tmp_path / "course"
    make_assignments.build_course(again)
    for name, source_nb in make_assignments.assignments().items():
        first = (course / "release" / name / source_nb.name).read_bytes()
        assert first == (again / "release" / name / source_nb.name).read_bytes(), name


def test_reference_solutions_get_full_marks(graded):
    for name in make_assignments.assignments():
        result = graded[(name, REFERENCE)]
        assert result["max"] > 0
        assert result["score"] == result["max"], (name, result["grades"])


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.student)
def test_each_mistake_loses_exactly_its_points_and_feedback_names_it(mistake, graded, course):
    result = graded[(mistake.assignment, mistake.student)]
    lost = {gid for gid, (score, maximum) in result["grades"].items() if score != maximum}
    assert lost == set(mistake.failing), result["grades"]
    for gid in mistake.failing:
        assert result["grades"][gid][0] == 0
    expected_points = sum(result["grades"][gid][1] for gid in mistake.failing)
    assert result["score"] == result["max"] - expected_points
    feedback = _feedback_text(course, mistake.assignment, mistake.student)
    assert f"- {mistake.named}:" in feedback, feedback[-3000:]
