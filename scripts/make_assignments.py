"""Build the nbgrader course of the series and generate the student versions of its assignments.

    python scripts/make_assignments.py [--course build/course]

One assignment per companion notebook ``notebooks/exercises/NN_<topic>_exercises.ipynb``, named
``NN_<topic>``. The script lays out an nbgrader course directory:

    <course>/nbgrader_config.py          copied from notebooks/exercises/nbgrader_config.py
    <course>/source/NN_<topic>/...       the instructor's notebook, solutions included
    <course>/release/NN_<topic>/...      the student version, written by `nbgrader generate_assignment`
    <course>/gradebook.db                nbgrader's sqlite gradebook

and runs the real ``nbgrader generate_assignment`` for every assignment: solutions replaced by a
stub, outputs cleared, hidden tests removed, graded cells locked with checksums. The sources are
the committed notebooks, unchanged, so the same sources give byte-identical student notebooks.
Assignment 03 also ships ``kl_sweep_results.json``, the published sweep's results (the file
``published/kl_sweep_results.json`` that notebook 03 checks its table against), which its
questions are checked against.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "notebooks" / "exercises"
SUFFIX = "_exercises.ipynb"


def assignments() -> dict[str, Path]:
    """``{assignment name: source notebook}`` for every companion notebook, in order."""
    found = sorted(EXERCISES.glob(f"[0-9][0-9]_*{SUFFIX}"))
    if not found:
        raise SystemExit(f"no companion notebooks {EXERCISES}/NN_*{SUFFIX} found")
    return {path.name[: -len(SUFFIX)]: path for path in found}


def extra_files(name: str) -> dict[str, str]:
    """Files an assignment ships besides its notebook: ``{file name: text}``."""
    if name.startswith("03_"):
        sys.path.insert(0, str(ROOT))
        from vaetutor.published import published_folder
        from vaetutor.sweep import RESULTS_FILE

        return {RESULTS_FILE: (published_folder() / RESULTS_FILE).read_text()}
    return {}


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: this interpreter's bin/ first on PATH (nbgrader runs the
    ``alembic`` command of its own environment to set up the gradebook)."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in the course directory; stop with its output if it fails."""
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True, env=nbgrader_env())
    if result.returncode != 0:
        raise SystemExit(f"`nbgrader {' '.join(args)}` failed in {course} "
                         f"(exit {result.returncode}):\n{result.stdout}{result.stderr}")


def build_course(course: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Lay out the course directory and generate the student versions.

    Returns ``{assignment name: student notebook}``. An existing course directory is reused:
    the source/ and release/ folders of these assignments are replaced (all of source/ and
    release/ when every assignment is built), its gradebook and submissions are kept.
    """
    available = assignments()
    names = names or list(available)
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"unknown assignment(s) {unknown}; available: {sorted(available)}")
    everything = set(names) == set(available)
    course.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXERCISES / "nbgrader_config.py", course / "nbgrader_config.py")
    for folder in ("source", "release"):
        for name in ([""] if everything else names):
            shutil.rmtree(course / folder / name, ignore_errors=True)
    for name in names:
        source = course / "source" / name
        source.mkdir(parents=True)
        shutil.copyfile(available[name], source / available[name].name)
        for filename, text in extra_files(name).items():
            (source / filename).write_text(text, encoding="utf-8")
    # One nbgrader call for all assignments when building them all (it starts once).
    for pattern in (["*"] if everything else names):
        nbgrader(course, "generate_assignment", pattern, "--force", "--log-level=WARN")
    released = {}
    for name in names:
        released[name] = course / "release" / name / available[name].name
        if not released[name].is_file():
            raise SystemExit(f"nbgrader wrote no student version {released[name]}")
        print(f"{name}: student version {released[name].relative_to(course.parent)}")
    return released


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=ROOT / "build" / "course",
                        help="course directory to build (default: build/course)")
    parser.add_argument("names", nargs="*", help="assignments to generate (default: all)")
    args = parser.parse_args(argv)
    build_course(args.course.resolve(), args.names or None)


if __name__ == "__main__":
    main()
