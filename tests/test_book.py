"""The book (scripts/build_book.py, ``make book``): built from the committed notebooks with
warnings as errors, then read as a learner would, in a headless Chromium that cannot reach any
host: search finds a chapter from a page opened as a file, equations are typeset, every image
loads, every link inside the site resolves, and the latent explorers run."""

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from nbconvert import HTMLExporter

from browser import dom_offline, needs_chromium, run_in_page

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(p.stem for p in (ROOT / "notebooks" / "exercises").glob("[0-9][0-9]_*.ipynb"))
GUIDES = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))


def load_build_book():
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_book = load_build_book()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The book of the committed notebooks, built once for this module."""
    output = tmp_path_factory.mktemp("book") / "book"
    build_book.build(output, ROOT / "notebooks")
    return output


def pages(book):
    return sorted(p for p in book.rglob("*.html") if "_static" not in p.parts)


class Links(HTMLParser):
    """The URLs a page links to or loads (href, src) and the ids it defines."""

    def __init__(self):
        super().__init__()
        self.urls, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.urls.append((tag, attrs[name]))


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


REMOTE = r"""["']?(?:https?:)?//[^"'\s>)]+"""
FETCHES = [  # what makes a browser fetch a URL while it shows the page (not a link to follow)
    r"<(?:script|img|iframe|source|embed)\b[^>]*\bsrc\s*=\s*" + REMOTE,
    r"<link\b[^>]*\bhref\s*=\s*" + REMOTE,
    r"\bimport\s*\(?\s*" + REMOTE,
    r"url\(\s*" + REMOTE,
]


def remote_resources(page_source: str) -> list[str]:
    """The URLs on other machines that a page loads: scripts, styles, images, imports, fonts."""
    return [m.group(0) for pattern in FETCHES for m in re.finditer(pattern, page_source)]


def test_the_book_has_every_chapter_exercise_guide_and_the_api_reference(book):
    assert (book / "index.html").is_file()
    for stem in CHAPTERS:
        assert (book / "notebooks" / f"{stem}.html").is_file(), stem
    for stem in EXERCISES:
        assert (book / "notebooks" / "exercises" / f"{stem}.html").is_file(), stem
    for stem in GUIDES:
        assert (book / "docs" / f"{stem}.html").is_file(), stem
    api = (book / "api.html").read_text(encoding="utf-8")
    for name in ["vaetutor.losses.kl_to_standard_normal", "vaetutor.vae.VAE.loss_terms",
                 "vaetutor.explorer.latent_explorer", "vaetutor.exercises.feedback.judge"]:
        assert f'id="{name}"' in api, f"{name} is not in the API reference"
    for module in build_book.package_modules():
        assert f'id="module-{module}"' in api, f"module {module} is not in the API reference"


def test_the_sidebar_lists_the_chapters_in_order_with_previous_and_next(book):
    page = (book / "notebooks" / f"{CHAPTERS[1]}.html").read_text(encoding="utf-8")
    sidebar = re.search(r'<nav class="[^"]*bd-docs-nav.*?</nav>', page, re.S).group(0)
    positions = [sidebar.find(f'href="{stem}.html"') for stem in CHAPTERS if stem != CHAPTERS[1]]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert re.search(rf'class="left-prev"[^>]*href="{CHAPTERS[0]}.html"|href="{CHAPTERS[0]}.html"'
                     rf'[^>]*class="left-prev"', page)
    assert re.search(rf'class="right-next"[^>]*href="{CHAPTERS[2]}.html"|href="{CHAPTERS[2]}.html"'
                     rf'[^>]*class="right-next"', page)


def test_each_chapter_links_its_notebook_for_download(book):
    for stem in CHAPTERS + EXERCISES:
        folder = "notebooks" if stem in CHAPTERS else "notebooks/exercises"
        page = book / folder / f"{stem}.html"
        targets = [url for _, url in parse(page).urls if url.endswith(f"{stem}.ipynb")]
        assert targets, f"{page.name} has no link to {stem}.ipynb"
        downloaded = (page.parent / targets[0]).resolve()
        assert downloaded.is_file() and nbformat.read(downloaded, as_version=4).cells


def test_every_link_inside_the_book_resolves_and_nothing_is_loaded_from_the_network(book):
    ids = {page.resolve(): parse(page).ids for page in pages(book)}
    broken, remote = [], []
    for page in pages(book):
        source = page.read_text(encoding="utf-8")
        remote += [f"{page.name}: {url}" for url in remote_resources(source)]
        for tag, url in parse(page).urls:
            parts = urlparse(url)
            if parts.scheme or url.startswith(("//", "mailto:", "data:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(book)}: {url}")
            elif parts.fragment and target in ids and parts.fragment not in ids[target]:
                broken.append(f"{page.relative_to(book)}: {url} (no such anchor)")
    assert not broken, f"{len(broken)} broken links: {broken[:20]}"
    assert not remote, f"pages load from the network: {remote[:10]}"


@needs_chromium
def test_search_finds_the_chapter_from_a_page_opened_as_a_file(book, tmp_path):
    from browser import chromium

    url = (book / "search.html").resolve().as_uri() + "?q=reparameterisation"
    dom = chromium(url, tmp_path / "profile", budget_ms=20000)
    results = re.search(r'<ul[^>]*class="search"[^>]*>(.*?)</ul>', dom, re.S)
    assert results, "the search page showed no results list"
    assert f'href="notebooks/{CHAPTERS[1]}.html' in results.group(1)


@needs_chromium
def test_the_math_of_chapter_04_is_typeset_offline_with_local_fonts(book, tmp_path):
    page = book / "notebooks" / f"{CHAPTERS[3]}.html"
    source = page.read_text(encoding="utf-8")
    displays = source.count('<div class="math notranslate nohighlight">')
    inline = source.count('<span class="math notranslate nohighlight">')
    assert displays >= 2 and inline >= 20
    dom = dom_offline(page, tmp_path / "profile")
    assert dom.count('class="MathJax_Display"') == displays, "display equations were not typeset"
    assert dom.count('class="MathJax"') == displays + inline, "inline equations were not typeset"
    assert "Math Processing Error" not in dom and 'class="merror"' not in dom
    assert not re.search(r"<span class=\"math notranslate nohighlight\">\\\(", dom), \
        "raw LaTeX left in the page"
    fonts = [Path(unquote(urlparse(u).path)) for u in
             re.findall(r"""url\(\s*["']?(file://[^"')?]+)""", dom)]
    assert fonts and any(f.is_file() for f in fonts), "MathJax drew without its local web fonts"


@needs_chromium
def test_the_check_fails_for_a_page_that_needs_a_cdn(tmp_path):
    """The browser really is offline: nbconvert's default page (MathJax from a CDN) stays raw."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$$x^2$$")])
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert remote_resources(body), "nbconvert's default page no longer uses a CDN"
    page = tmp_path / "cdn.html"
    page.write_text(body, encoding="utf-8")
    assert 'class="MathJax' not in dom_offline(page, tmp_path / "profile")


EVERY_IMAGE_LOADS = """
  var pages = %s, failures = [], counted = 0;
  for (var i = 0; i < pages.length; i++) {
    var frame = document.createElement("iframe");
    frame.style.width = "1200px"; frame.style.height = "800px";
    var loaded = new Promise(function (done) { frame.onload = done; });
    frame.src = pages[i];
    document.body.appendChild(frame);
    await loaded;
    await pause(200);
    var images = frame.contentDocument.querySelectorAll("img");
    counted += images.length;
    images.forEach(function (img) {
      if (!(img.complete && img.naturalWidth > 0))
        failures.push(pages[i] + ": " + (img.getAttribute("src") || "").slice(0, 80));
    });
    frame.remove();
  }
  return {failures: failures, counted: counted};
"""


@needs_chromium
def test_every_image_on_every_page_loads(book, tmp_path):
    names = [p.relative_to(book).as_posix() for p in pages(book)]
    result = run_in_page(book / "index.html", EVERY_IMAGE_LOADS % names, tmp_path / "profile",
                         budget_ms=120000)
    in_sources = sum(len(re.findall(r"<img\s", p.read_text(encoding="utf-8"))) for p in pages(book))
    assert result["counted"] == in_sources
    assert result["failures"] == []


EXPLORERS = """
  var roots = d.querySelectorAll(".vaetutor-explorer"), found = [];
  for (var i = 0; i < roots.length; i++) {
    var root = roots[i], canvases = root.querySelectorAll("canvas");
    var entry = {still: root.querySelectorAll(".vt-still").length, panels: canvases.length,
                 drawn: Array.prototype.map.call(canvases, function (c) {
                   return c.getAttribute("data-drawn"); }),
                 planes: Array.prototype.map.call(canvases, function (c) {
                   return c.getAttribute("data-plane"); })};
    var slider = root.querySelector("input[type=range]");
    if (slider) {
      var before = canvases[0].toDataURL();
      slider.value = slider.max; slider.dispatchEvent(new w.Event("input"));
      await pause(300);
      entry.after = canvases[0].getAttribute("data-plane");
      entry.changed = canvases[0].toDataURL() !== before;
      entry.models = Number(slider.max) + 1;
    }
    found.push(entry);
  }
  return found;
"""


@needs_chromium
@pytest.mark.parametrize("chapter, panels, slider", [(1, 1, False), (2, 1, True), (4, 2, False)])
def test_the_latent_explorers_run_in_the_book(book, tmp_path, chapter, panels, slider):
    page = book / "notebooks" / f"{CHAPTERS[chapter]}.html"
    found = run_in_page(page, EXPLORERS, tmp_path / "profile")
    assert len(found) == 1, f"expected one latent explorer on {page.name}"
    explorer = found[0]
    assert explorer["still"] == 0, "the explorer's script did not run"
    assert explorer["panels"] == panels and all(explorer["drawn"])
    if slider:
        assert explorer["models"] == 8 and explorer["changed"]
        assert explorer["after"] != explorer["planes"][0]
