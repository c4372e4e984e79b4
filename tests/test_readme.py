"""README.md is short and for learners; the rest lives in docs/, and every link resolves.

Checks: README.md has at most 150 lines; every relative Markdown link and image in README.md and
in docs/*.md points at a file that exists (an ``#anchor`` is stripped; http(s) and mailto links
are skipped); README.md links each docs page; README.md shows the test command that ``.ci/run``
runs; and every ``make`` target the pages show exists in the Makefile. The link checker is
itself tested on a page with a broken link, so it is known to fail when it should.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = ["instructors.md", "performance.md", "maintainers.md", "backends-and-gpus.md",
         "package.md"]
MAX_README_LINES = 150
TEST_COMMAND = "make test"

FENCE = re.compile(r"(?ms)^(`{3,}|~{3,}).*?^\1[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# [text](target) and ![alt](target), with an optional "title"; and [label]: target definitions.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")


def markdown_pages():
    return [README, *sorted(DOCS.glob("*.md"))]


def without_code(text):
    """``text`` with fenced code blocks and inline code spans removed (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def link_targets(text):
    prose = without_code(text)
    return INLINE_LINK.findall(prose) + REFERENCE.findall(prose)


def broken_links(page):
    """The relative link targets of the Markdown file ``page`` that name no existing file."""
    broken = []
    for target in link_targets(page.read_text(encoding="utf-8")):
        if re.match(r"(?i)(https?:|mailto:)", target):
            continue
        path = target.split("#", 1)[0]
        if not path:  # a link to an anchor of the same page
            continue
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


def test_readme_has_at_most_150_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines; at most {MAX_README_LINES}: move detail to docs/")


def test_there_are_docs_pages_to_check():
    assert set(PAGES) <= {p.name for p in DOCS.glob("*.md")}


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_resolves(page):
    assert link_targets(page.read_text(encoding="utf-8")), f"{page.name} has no links at all"
    assert broken_links(page) == [], f"{page.relative_to(ROOT)} links to missing files"


def test_the_link_checker_finds_a_broken_link(tmp_path):
    (tmp_path / "there.md").write_text("# There\n")
    page = tmp_path / "page.md"
    page.write_text("See [there](there.md#top), [missing](docs/missing.md#a) and\n"
                    "![lost](img/lost.png \"a title\"), [web](https://example.org/x.md),\n"
                    "[mail](mailto:someone@example.org), `[code](not-a-link.md)`.\n\n"
                    "[ref]: gone.md\n\n```\n[fenced](also-not-a-link.md)\n```\n")
    assert broken_links(page) == ["docs/missing.md#a", "img/lost.png", "gone.md"]


def test_readme_links_every_docs_page():
    targets = {target.split("#", 1)[0] for target in link_targets(README.read_text(encoding="utf-8"))}
    for name in PAGES:
        assert f"docs/{name}" in targets, f"README.md does not link docs/{name}"


def test_ci_runs_the_test_command_the_readme_shows():
    readme = README.read_text(encoding="utf-8")
    assert re.search(rf"(?m)^{TEST_COMMAND}(\s+#|\s*$)", readme), (
        f"README.md's commands do not show `{TEST_COMMAND}`")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(rf"(?m)^{TEST_COMMAND}(\s+#|\s*$)", ci), f".ci/run does not run `{TEST_COMMAND}`"


def test_every_make_target_the_pages_show_exists():
    defined = set(re.findall(r"(?m)^([A-Za-z][\w-]*)\s*:(?!=)", (ROOT / "Makefile").read_text()))
    for page in markdown_pages():
        text = page.read_text(encoding="utf-8")
        code = [m.group(0) for m in FENCE.finditer(text)]
        code += [m.group(0) for m in CODE_SPAN.finditer(FENCE.sub("", text))]
        for snippet in code:
            for target in re.findall(r"(?m)(?:^|`|\s)make\s+([A-Za-z][\w-]*)", snippet):
                assert target in defined, f"{page.name} shows `make {target}`: no such target"
