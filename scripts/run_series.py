"""Execute the notebook series, then build the book from the executed notebooks.

    python scripts/run_series.py --output build notebooks/01_*.ipynb notebooks/02_*.ipynb

The profile comes from VAETUTOR_PROFILE (``make run`` sets it). Each notebook runs in a fresh
kernel with the notebooks/ folder as working directory; the source notebooks are not modified.
The executed notebooks go to ``<output>/notebooks/``; the book (``scripts/build_book.py``:
chapters in a sidebar, search, offline equations) is built from them into ``<output>/book/``.
Prints one line per notebook; exits non-zero if any notebook failed (the others still run, and
a failed notebook's page in the book shows the error).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import build_book  # scripts/build_book.py: run as a script, this file's folder is on sys.path


def run_one(path: Path, output: Path) -> tuple[bool, float, str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    error = ""
    try:
        # the kernel's own log lines (not the notebook's output) stay off the progress lines
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as err:
        lines = (err.evalue or "").strip().splitlines() or [""]
        error = f"{err.ename}: {lines[0]}"[:300]
    seconds = time.perf_counter() - start
    (output / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output / "notebooks" / path.name)
    return not error, seconds, error


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    profile = os.environ.get("VAETUTOR_PROFILE", "full")
    args.output.mkdir(parents=True, exist_ok=True)
    rows, total = [], time.perf_counter()
    for i, path in enumerate(args.notebooks, 1):
        print(f"[{i}/{len(args.notebooks)}] {path.name} ({profile}) ...", end=" ", flush=True)
        ok, seconds, error = run_one(path, args.output)
        print(f"{'ok' if ok else 'FAILED'} in {seconds:.1f} s" + (f": {error}" if error else ""),
              flush=True)
        rows.append(dict(stem=path.stem, ok=ok, seconds=seconds, error=error))
    failed = sum(not r["ok"] for r in rows)
    print(f"{len(rows) - failed} of {len(rows)} notebooks ran in {time.perf_counter() - total:.0f} s;"
          " building the book ...", flush=True)
    start = time.perf_counter()
    index = build_book.build((args.output / "book").resolve(), (args.output / "notebooks").resolve())
    print(f"book built in {time.perf_counter() - start:.0f} s: open {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
