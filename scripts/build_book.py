"""Build the series' book: a static site that works offline (Sphinx, MyST-NB, sphinx-book-theme).

    python scripts/build_book.py --output build/book                      # committed notebooks
    python scripts/build_book.py --notebooks build/notebooks --output build/book   # make run's

With ``--notebooks``, each chapter found in that folder replaces the committed one.

Its pages: README.md as the landing page; the chapters notebooks/NN_*.ipynb with their outputs
(never executed here); the student versions in notebooks/exercises/; the pages of docs/; and
the package's API reference, generated from its docstrings. The sources are assembled in a
folder beside the output (``<output>-src``), laid out as in the repository so that the links
between pages resolve; warnings are errors (a broken link or a missing image fails the build).
Open ``<output>/index.html`` in a browser, no server needed.
"""

from __future__ import annotations

import argparse
import pkgutil
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PARTS = """

```{{toctree}}
:hidden:
:caption: The series

{chapters}
```

```{{toctree}}
:hidden:
:caption: Exercises

{exercises}
```

```{{toctree}}
:hidden:
:caption: Guides

docs/package
docs/instructors
docs/performance
docs/backends-and-gpus
docs/maintainers
api
```
"""

API_HEADER = """The package's API
=================

Every public function and class of ``vaetutor``, generated from its docstrings (the notebooks
show the code itself; `The package <docs/package.html>`_ says which module holds what).
"""


def mathjax_files() -> Path:
    """MathJax 2 as the jupyter-server-mathjax package ships it (with its STIX-Web fonts)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SystemExit("the book needs MathJax from the package jupyter-server-mathjax, "
                         "which is not installed: pip install -e '.[dev]' (or make setup)") from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def package_modules() -> list[str]:
    """The package's modules, e.g. ``vaetutor.losses`` (private ones, ``_files``, left out)."""
    import vaetutor

    names = [m.name for m in pkgutil.walk_packages(vaetutor.__path__, "vaetutor.")]
    return ["vaetutor"] + sorted(n for n in names if not n.rsplit(".", 1)[1].startswith("_"))


def api_page() -> str:
    sections = [API_HEADER]
    for name in package_modules():
        sections.append(f"{name}\n{'-' * len(name)}\n\n.. automodule:: {name}\n")
    return "\n".join(sections)


def chapter_notebooks(folder: Path) -> list[Path]:
    """The chapters NN_*.ipynb: each from ``folder`` where it is there (make run's executed
    ones), else the committed one from notebooks/, so that a partial run still makes a whole
    book."""
    if not folder.is_dir():
        raise SystemExit(f"no such folder of notebooks: {folder}")
    committed = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return [folder / nb.name if (folder / nb.name).is_file() else nb for nb in committed]


def assemble(source: Path, notebooks: Path) -> None:
    """Lay out the book's sources in ``source`` (emptied first)."""
    shutil.rmtree(source, ignore_errors=True)
    (source / "notebooks" / "exercises").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "conf.py", source / "conf.py")
    shutil.copytree(mathjax_files(), source / "_static" / "mathjax")
    shutil.copy(ROOT / "book" / "vaetutor.css", source / "_static" / "vaetutor.css")
    chapters = [shutil.copy(nb, source / "notebooks" / nb.name) for nb in chapter_notebooks(notebooks)]
    exercises = [shutil.copy(nb, source / "notebooks" / "exercises" / nb.name)
                 for nb in sorted((ROOT / "notebooks" / "exercises").glob("[0-9][0-9]_*.ipynb"))]
    shutil.copytree(ROOT / "docs", source / "docs")
    for page in (source / "docs").glob("*.md"):    # README.md is the book's index page
        page.write_text(page.read_text(encoding="utf-8").replace("](../README.md", "](../index.md"),
                        encoding="utf-8")
    as_doc = lambda p: Path(p).relative_to(source).with_suffix("").as_posix()  # noqa: E731
    index = (ROOT / "README.md").read_text(encoding="utf-8") + PARTS.format(
        chapters="\n".join(map(as_doc, chapters)), exercises="\n".join(map(as_doc, exercises)))
    (source / "index.md").write_text(index, encoding="utf-8")
    (source / "api.rst").write_text(api_page(), encoding="utf-8")


def build(output: Path, notebooks: Path, quiet: bool = True) -> Path:
    """Assemble and build the book into ``output``; returns its index page. Raises SystemExit
    with Sphinx's warnings when the build has any."""
    from sphinx.cmd.build import build_main

    source = output.parent / f"{output.name}-src"
    assemble(source, notebooks)
    args = ["-b", "html", "-W", "--keep-going", "-E", "-d", str(source / "_doctrees"),
            str(source), str(output)]
    status = build_main((["-q"] if quiet else []) + args)
    if status:
        raise SystemExit(f"the book did not build (Sphinx exit status {status}); "
                         "its warnings are above")
    return output / "index.html"


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="the folder of the chapters NN_*.ipynb (default: notebooks/)")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "book")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build(args.output.resolve(), args.notebooks.resolve())
    print(f"book built in {time.perf_counter() - start:.0f} s, "
          f"{folder_size(args.output) / 1e6:.0f} MB: open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
