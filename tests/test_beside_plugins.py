"""Beside another plugin the site is the one it would be without talkbase's second process.

mkdocs-autorefs (the cross-reference plugin mkdocstrings uses) keeps the anchors of every page it converts
in its own state: had a forked helper converted some pages, their anchors would be lost to it and the links
to them would fail. talkbase shares work with a helper only for a set of plugins and Markdown extensions it
knows (`speed.conversion.unknown`), and otherwise converts every page itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import early_project
from test_parallel import site_files

PAGES = 120
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                                reason="the helper needs Linux and two cores")


def with_cross_references(project: Path) -> Path:
    """The project with autorefs and PAGES hand-written pages, each linking the next one's anchor."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "plugins:\n  - talkbase\n" in text
    config.write_text(text.replace("plugins:\n  - talkbase\n", "plugins:\n  - talkbase\n  - autorefs\n"),
                      encoding="utf-8")
    folder = project / "docs" / "notes"
    folder.mkdir(parents=True)
    for i in range(PAGES):
        # an anchor of autorefs' own ([](){#id}: its Markdown extension registers it, in whatever process converts
        # the page) and a heading's (registered from the page's table of contents, in MkDocs' own process)
        (folder / f"n{i:03d}.md").write_text(
            f"# 笔记 {i}\n\n## 第 {i} 节 {{#note-{i}}}\n\n[](){{#point-{i}}}\n见 [下一处][point-{(i + 1) % PAGES}]，"
            f"[下一节][note-{(i + 1) % PAGES}]。\n", encoding="utf-8")
    return project


def built(project: Path, parallel: str) -> dict[str, bytes]:
    """A real `talkbase build` in its own process: the helper forks only from a process without other threads."""
    env = {**os.environ, "TALKBASE_PARALLEL": parallel}
    result = subprocess.run([str(Path(sys.executable).with_name("talkbase")), "--verbose", "build"], cwd=project,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return site_files(project / "site"), result.stderr


def test_with_autorefs_the_default_build_is_the_site_without_helpers(tmp_path):
    alone, _ = built(with_cross_references(early_project(tmp_path / "alone")), "off")
    shared, log = built(with_cross_references(early_project(tmp_path / "shared")), "on")
    assert "autorefs" in log and "one process" in log  # it says why it did not share the work
    assert shared.keys() == alone.keys()
    assert [name for name in alone if alone[name] != shared[name] and name != "sitemap.xml.gz"] == []
    page = shared["notes/n007/index.html"].decode("utf-8")
    assert 'href="../n008/#note-8"' in page and 'href="../n008/#point-8"' in page  # every cross-reference resolved
