"""Execute the notebook series and write the executed notebooks, HTML pages and an index.

    python scripts/run_series.py --output build notebooks/01_*.ipynb notebooks/02_*.ipynb

The profile comes from VAETUTOR_PROFILE (``make run`` sets it). Each notebook runs in a fresh
kernel with the notebooks/ folder as working directory; the source notebooks are not modified.
Prints one line per notebook; exits non-zero if any notebook failed (the others still run, and
a failed notebook's page shows the error).
"""

from __future__ import annotations

import argparse
import html
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter


def notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "(untitled)"


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
    body, _ = HTMLExporter().from_notebook_node(nb)
    (output / "html").mkdir(parents=True, exist_ok=True)
    (output / "html" / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return not error, seconds, error


def write_index(output: Path, rows: list[dict], profile: str) -> Path:
    lines = [
        "<!doctype html><html><head><meta charset='utf-8'><title>vaetutor notebooks</title>",
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
        "td,th{padding:.3em .8em;text-align:left}.fail{color:#b00}</style></head><body>",
        "<h1>vaetutor: the notebook series</h1>",
        f"<p>Executed with the <b>{html.escape(profile)}</b> profile on "
        f"{time.strftime('%Y-%m-%d %H:%M')}.</p>",
        "<table><tr><th>notebook</th><th>status</th><th>time</th><th>executed .ipynb</th></tr>",
    ]
    for r in rows:
        status = "ok" if r["ok"] else f"<span class='fail'>failed: {html.escape(r['error'])}</span>"
        lines.append(
            f"<tr><td><a href='html/{r['stem']}.html'>{html.escape(r['title'])}</a></td>"
            f"<td>{status}</td><td>{r['seconds']:.0f} s</td>"
            f"<td><a href='notebooks/{r['stem']}.ipynb'>{r['stem']}.ipynb</a></td></tr>"
        )
    lines.append("</table></body></html>")
    index = output / "index.html"
    index.write_text("\n".join(lines), encoding="utf-8")
    return index


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
        title = notebook_title(nbformat.read(path, as_version=4))
        rows.append(dict(stem=path.stem, title=title, ok=ok, seconds=seconds, error=error))
    index = write_index(args.output, rows, profile)
    failed = sum(not r["ok"] for r in rows)
    print(f"{len(rows) - failed} of {len(rows)} notebooks ran in {time.perf_counter() - total:.0f} s;"
          f" open {index}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
