"""`talkbase serve` in a real process: an edit to an episode shows in the served page, and the preview's
search index stays whole (every page once, the edited ones up to date) after a rebuild of a few pages;
an edit to mkdocs.yml shows on every page."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchmarks.serve import fetch, free_port  # the benchmark measures serve the same way
from conftest import make_project

TALKBASE = Path(sys.executable).with_name("talkbase")


def wait_for(check, what: str, log: Path, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()) is not None:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s; server said:\n{log.read_text(errors='replace')[-3000:]}")


def search_records(base: str) -> list[list[str]] | None:
    """Every record of the served search index (talkbase/search.py): [url, title, page, text], read as the
    reader's browser reads it, over HTTP; None while it is not there."""
    manifest = fetch(base + "search/talkbase/index.json")
    if not manifest:
        return None
    index, records = json.loads(manifest), []
    for i in range(-(-index["records"] // index["chunk"])):
        try:
            with urllib.request.urlopen(f"{base}search/talkbase/r{i}.bin", timeout=5) as resp:
                records += json.loads(gzip.decompress(resp.read()))
        except (urllib.error.URLError, OSError, ValueError):  # rewritten meanwhile: read again
            return None
    return records if len(records) == index["records"] else None


@pytest.fixture
def served(tmp_path):
    project = make_project(tmp_path / "project")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(TALKBASE), "serve", "-p", str(port)], cwd=project, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    try:
        yield project, f"http://127.0.0.1:{port}/", log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_an_edit_shows_and_search_stays_whole(served):
    project, base, log = served
    before = wait_for(lambda: fetch(base + "talks/003/"), "the episode page was not served", log)
    assert "LongNet: Scaling Transformers" in before
    old = [r[0] for r in wait_for(lambda: search_records(base), "no search index", log)]
    assert len(old) == len(set(old)) and any(url.startswith("talks/002/") for url in old)

    episode = project / "talks" / "003.yaml"
    text = episode.read_text(encoding="utf-8")
    episode.write_text(text.replace("LongNet: Scaling Transformers", "LongNet EDITED: Scaling Transformers"),
                       encoding="utf-8")
    wait_for(lambda: (page := fetch(base + "talks/003/")) and "LongNet EDITED" in page or None,
             "the edit did not show", log)

    def updated():
        records = search_records(base)
        return records if records and any("LongNet EDITED" in r[1] + r[3] for r in records) else None

    new = [r[0] for r in wait_for(updated, "the search index did not take the edit", log)]
    assert sorted(new) == sorted(old)  # the same sections, each once: nothing lost, nothing repeated
    generated = [line for line in log.read_text().splitlines() if "pages written" in line]
    assert len(generated) == 2
    first, edit = (int(line.split(" pages written")[0].rsplit(" ", 1)[1]) for line in generated)
    assert 0 < edit < first / 2  # the edit rewrote only the pages that show it


def test_an_edit_to_mkdocs_yml_shows_on_every_page(served):
    project, base, log = served
    pages = ["talks/002/", "topics/", "people/"]
    for page in pages:
        assert "OpenLLM Talk" in wait_for(lambda: fetch(base + page), f"{page} was not served", log)
    config = project / "mkdocs.yml"
    renamed = config.read_text(encoding="utf-8").replace("site_name: OpenLLM Talk", "site_name: OpenLLM Talk 改名")
    config.write_text(renamed, encoding="utf-8")
    for page in pages:  # pages no episode edit touched: only a full rebuild renders them again
        wait_for(lambda: (html := fetch(base + page)) and "OpenLLM Talk 改名" in html or None,
                 f"the new site name did not show on {page}", log)
    assert "mkdocs.yml changed: rebuilding every page" in log.read_text()
