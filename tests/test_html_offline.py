"""The HTML pages of ``make run`` show their equations without a network.

``scripts/run_series.py`` writes each page with MathJax copied beside it. These tests write a
one-equation notebook through the same function, open the page in headless Chromium with every
host name unresolvable, and read back the DOM that MathJax left. Chromium is not installed by the
tests (on Debian: ``apt-get install chromium``); without it they are skipped.
"""

import importlib.util
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]

EQUATION = r"\mathrm{KL} = \frac{1}{2} \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)"
MARKDOWN = f"# One equation\n\nThe KL term:\n\n$${EQUATION}$$\n\nand inline, $z_j$ for each $j$."

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH: install it to check that the pages render offline "
           "(Debian/Ubuntu: apt-get install chromium)",
)


def _load_run_series():
    spec = importlib.util.spec_from_file_location("run_series", ROOT / "scripts" / "run_series.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_series = _load_run_series()


def one_equation_notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN)])


def dom_offline(page: Path, profile: Path) -> str:
    """The DOM of ``page`` once its scripts have run, in a browser that cannot resolve any host."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", '--host-resolver-rules=MAP * ~NOTFOUND',
         "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


class _VisibleText(HTMLParser):
    """The text of a document outside <script> and <style> (what a reader sees, roughly)."""

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    parser = _VisibleText()
    parser.feed(dom)
    return "".join(parser.parts)


def font_files(dom: str) -> list[tuple[Path, ...]]:
    """The local files of each @font-face rule in ``dom`` (MathJax adds one per web font it uses)."""
    rules = [re.findall(r"""url\(\s*["']?(file://[^"')?]+)""", rule)
             for rule in re.findall(r"@font-face\s*\{[^}]*\}", dom)]
    return [tuple(Path(unquote(urlparse(url).path)) for url in urls) for urls in rules if urls]


REMOTE = r"""["']?(?:https?:)?//[^"'\s>)]+"""
FETCHES = [  # what makes a browser fetch a URL while it shows the page (not a link to follow)
    r"<(?:script|img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*" + REMOTE,
    r"<link\b[^>]*\bhref\s*=\s*" + REMOTE,
    r"\bimport\s*\(?\s*" + REMOTE,
    r"\bfrom\s*" + REMOTE,
    r"url\(\s*" + REMOTE,
]


def remote_resources(page_source: str) -> list[str]:
    """The URLs on other machines that a page loads: scripts, styles, images, imports, fonts."""
    return [m.group(0) for pattern in FETCHES for m in re.finditer(pattern, page_source)]


def test_page_has_mathjax_beside_it_and_loads_nothing_from_a_cdn(tmp_path):
    page = run_series.write_html(one_equation_notebook(), tmp_path / "html" / "one.html")
    source = page.read_text(encoding="utf-8")
    assert remote_resources(source) == []
    assert not re.search(r"cdnjs|jsdelivr|unpkg|cdn\.mathjax", source)
    assert f'src="{run_series.MATHJAX_URL}"' in source
    assert (page.parent / run_series.MATHJAX_URL.split("?")[0]).is_file()
    assert list((page.parent / "mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").rglob("*.woff"))


@needs_chromium
def test_page_typesets_its_equations_offline(tmp_path):
    page = run_series.write_html(one_equation_notebook(), tmp_path / "html" / "one.html")
    dom = dom_offline(page, tmp_path / "profile")
    assert dom.count('class="MathJax_Display"') == 1, "the display equation was not typeset"
    assert dom.count('class="MathJax"') == 3, "expected 3 typeset equations (1 display, 2 inline)"
    text = visible_text(dom)
    assert "$" not in text, f"raw LaTeX left on the page: {text.strip()[:300]!r}"
    assert "Math Processing Error" not in text and 'class="merror"' not in dom
    fonts = font_files(dom)
    assert fonts, "MathJax drew with no web font of its own"
    missing = [files for files in fonts if not any(f.is_file() for f in files)]
    assert not missing, f"MathJax asks for fonts that are not beside the page: {missing}"


@needs_chromium
def test_the_check_fails_for_nbconvert_default_page_which_needs_a_cdn(tmp_path):
    """The browser really is offline: nbconvert's default page (MathJax from a CDN) stays raw."""
    body, _ = HTMLExporter().from_notebook_node(one_equation_notebook())
    assert remote_resources(body), "nbconvert's default page no longer uses a CDN"
    page = tmp_path / "cdn.html"
    page.write_text(body, encoding="utf-8")
    dom = dom_offline(page, tmp_path / "profile")
    assert 'class="MathJax' not in dom
    assert f"$${EQUATION}$$" in visible_text(dom)
