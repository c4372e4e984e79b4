"""Execute the notebook series and write the executed notebooks, HTML pages and an index.

    python scripts/run_series.py --output build notebooks/01_*.ipynb notebooks/02_*.ipynb

The profile comes from VAETUTOR_PROFILE (``make run`` sets it). Each notebook runs in a fresh
kernel with the notebooks/ folder as working directory; the source notebooks are not modified.
Prints one line per notebook; exits non-zero if any notebook failed (the others still run, and
a failed notebook's page shows the error).

The pages work offline: their math renderer (MathJax 2, from the jupyter-server-mathjax package)
is copied to html/mathjax/ and loaded by a relative URL, and they load nothing from a CDN.
"""

from __future__ import annotations

import argparse
import filecmp
import html
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from jinja2 import DictLoader
from nbconvert import HTMLExporter

#: where the pages find MathJax, relative to the html/ folder
MATHJAX_FOLDER = "mathjax"
#: the combined configuration that jupyter-server-mathjax ships (TeX input, HTML-CSS output)
MATHJAX_URL = f"{MATHJAX_FOLDER}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# nbconvert's lab template, with everything it would fetch from a CDN replaced or left out:
# MathJax comes from MATHJAX_URL and draws with the STIX-Web fonts shipped beside it (the only web
# fonts in the package); require.js and Mermaid serve widgets, JavaScript outputs and Mermaid
# diagrams, which no notebook of the series has.
OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
                                 imageFont: null}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
"""


def mathjax_source() -> Path:
    """The folder of MathJax's files in the installed jupyter-server-mathjax package."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SystemExit("the HTML pages need MathJax from the package jupyter-server-mathjax, "
                         "which is not installed: pip install -e '.[dev]' (or make setup)") from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def copy_mathjax(html_dir: Path) -> Path:
    """Copy MathJax into ``html_dir/mathjax`` unless the same version is already there."""
    source, target = mathjax_source(), html_dir / MATHJAX_FOLDER
    marker = "MathJax.js"
    if not (target / marker).is_file() or not filecmp.cmp(source / marker, target / marker,
                                                          shallow=False):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
    return target


def write_html(nb, page: Path) -> Path:
    """Write ``nb`` as the HTML page ``page``, with MathJax copied beside it (works offline)."""
    exporter = HTMLExporter(extra_loaders=[DictLoader({"vaetutor_offline.html.j2":
                                                           OFFLINE_TEMPLATE})],
                            template_file="vaetutor_offline.html.j2", mathjax_url=MATHJAX_URL)
    body, _ = exporter.from_notebook_node(nb)
    page.parent.mkdir(parents=True, exist_ok=True)
    copy_mathjax(page.parent)
    page.write_text(body, encoding="utf-8")
    return page


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
    write_html(nb, output / "html" / f"{path.stem}.html")
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
