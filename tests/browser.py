"""Headless Chromium for the tests of pages: the DOM after the page's scripts ran, and scripts
run against a page the way a reader's pointer would act on it. Every host name is made
unresolvable, so a page that needs the network shows it. Chromium is not installed by the tests
(on Debian: ``apt-get install chromium``); without it the tests that need it are skipped."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Chromium, or Google Chrome (what GitHub's Ubuntu runners carry): the same headless browser
CHROMIUM = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])),
                None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH: install it to check the pages in a browser "
           "(Debian/Ubuntu: apt-get install chromium)",
)
OFFLINE = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(url: str, profile: Path, *args, budget_ms=10000, timeout=120) -> str:
    """Chromium's --dump-dom of ``url`` (a page's DOM once its scripts ran ``budget_ms`` of
    virtual time), offline."""
    result = subprocess.run(
        [CHROMIUM, *OFFLINE, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
         *args, "--dump-dom", url],
        capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


def dom_offline(page: Path, profile: Path) -> str:
    """The DOM of ``page`` once its scripts have run, in a browser that cannot resolve any host."""
    return chromium(page.resolve().as_uri(), profile)


HARNESS = """<!doctype html><meta charset="utf-8"><title>harness</title>
<iframe id="page" src="{src}" style="width:{width}px;height:{height}px;border:0"></iframe>
<pre id="result">not run</pre>
<script>
var frame = document.getElementById("page");
function pause(ms) {{ return new Promise(function (done) {{ setTimeout(done, ms); }}); }}
frame.addEventListener("load", function () {{
  var out = document.getElementById("result");
  setTimeout(function () {{
    var w = frame.contentWindow, d = w.document;
    Promise.resolve().then(function () {{ return (async function (w, d) {{ {script} }})(w, d); }})
      .then(function (value) {{ out.textContent = "OK " + JSON.stringify(value); }},
            function (error) {{ out.textContent = "ERROR " + error + " " + (error.stack || ""); }});
  }}, {settle});
}});
</script>"""


def run_in_page(page: Path, script: str, profile: Path, settle_ms=1500, budget_ms=30000,
                size=(1400, 1000)):
    """Open ``page`` in an iframe of a harness page beside it, wait ``settle_ms``, then run
    ``script`` (the body of an async JavaScript function of the page's window ``w`` and document
    ``d``; ``pause(ms)`` waits) and return what it returns, parsed from JSON."""
    harness = page.parent / f"_harness_{page.stem}.html"
    harness.write_text(HARNESS.format(src=page.name, script=script, settle=settle_ms,
                                      width=size[0], height=size[1]), encoding="utf-8")
    try:
        dom = chromium(harness.resolve().as_uri(), profile, "--allow-file-access-from-files",
                       f"--window-size={size[0] + 40},{size[1] + 200}", budget_ms=budget_ms)
    finally:
        harness.unlink()
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found, f"the harness page did not load: {dom[:500]}"
    text = html.unescape(found.group(1))
    assert text.startswith("OK "), f"the script failed in the page: {text[:2000]}"
    return json.loads(text[3:])
