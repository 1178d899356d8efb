"""Copies of the project in a temporary folder: the one `make_project` the tests and the benchmarks share.

The copy takes the project's own files from a checkout (this one by default, or another revision's exported
tree, so that two revisions can be built from the same synthetic content), never generated pages or local
outputs; then either a fixture tree of the tests or N synthetic episodes (benchmarks/content.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from benchmarks import ROOT
from benchmarks.content import people_yaml, write_episodes

FIXTURES = ROOT / "tests" / "fixtures"
SITE_URL = "https://talk.example.org/"  # lets feeds and the sitemap carry absolute URLs, in every synthetic build
SOURCES = ("mkdocs.yml", "series.yml", "data", "talks", "templates", "docs", "notebooks", "images", "overrides")
REAL_CONTENT = ("talks", "notebooks")  # what synthetic episodes replace


def tracked(*paths: str, root: Path = ROOT) -> list[str]:
    """Files git tracks under `paths` in the checkout `root`, so generated pages and local outputs never leak
    into a copy. A tree without .git is an export (`git archive`), which holds only tracked files: all of them."""
    if not (root / ".git").exists():
        found = [p for path in paths for p in [root / path, *sorted((root / path).rglob("*"))] if p.is_file()]
        return [p.relative_to(root).as_posix() for p in found]
    out = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=root, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def make_project(dest: Path, scenario: str | None = None, *, episodes: int | None = None,
                 root: Path = ROOT) -> Path:
    """Copy the project's sources from checkout `root` into `dest` and return `dest`.

    With `episodes`, the real talks/ and notebooks/ stay out: that many synthetic episodes, a people.yml that
    names everyone they cite and a `site_url` take their place (the benchmarks' project). Then the fixture tree
    `tests/fixtures/<scenario>` is laid over the copy (the tests' scenarios)."""
    sources = [s for s in SOURCES if episodes is None or s not in REAL_CONTENT]
    for rel in tracked(*sources, root=root):
        if (root / rel).is_file():  # a tracked file someone is deleting right now is skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, dest / rel)
    if episodes is not None:
        (dest / "notebooks").mkdir(exist_ok=True)  # synthetic episodes reference no notebook
        (dest / "data" / "people.yml").write_text(people_yaml(), encoding="utf-8")
        cfg = (dest / "mkdocs.yml").read_text(encoding="utf-8")
        if not re.search(r"^site_url:", cfg, re.M):
            (dest / "mkdocs.yml").write_text(f"site_url: {SITE_URL}\n" + cfg, encoding="utf-8")
        write_episodes(dest / "talks", episodes)
    if scenario:
        shutil.copytree(FIXTURES / scenario, dest, dirs_exist_ok=True)
    return dest
