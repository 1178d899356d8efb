"""Shared fixtures: copies of the real project in a temporary folder, built with the real MkDocs."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from talkbase.publish import build_into

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seeds" / "openllm-talk-003.txt"  # a copy: tests read nothing outside the repository
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
# talkbase's cache on disk (cache.py) goes to a folder of this test session, never the user's ~/.cache
os.environ["TALKBASE_CACHE"] = tempfile.mkdtemp(prefix="talkbase-test-cache-")


def tracked(path: str) -> list[str]:
    """Files git tracks under `path` (so generated pages and local outputs never leak into a test)."""
    out = subprocess.run(["git", "ls-files", "-z", "--", path], cwd=ROOT, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def make_project(dest: Path, scenario: str | None = None) -> Path:
    """Copy the project's sources into `dest`, then lay fixture tree `tests/fixtures/<scenario>` over it."""
    for rel in ["mkdocs.yml", "series.yml", *tracked("data"), *tracked("talks"), *tracked("templates"),
                *tracked("docs"), *tracked("notebooks"), *tracked("images"), *tracked("overrides")]:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    if scenario:
        shutil.copytree(FIXTURES / scenario, dest, dirs_exist_ok=True)
    return dest


def build(project: Path, strict: bool = True) -> Path:
    site = project / "site"
    build_into(project / "mkdocs.yml", site, strict=strict)
    return site


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The bundled episodes, built once strictly, like `make site` does."""
    return build(make_project(tmp_path_factory.mktemp("project")))


# The first four episodes: a small archive whose numbers, dates and files tests can name
EARLY = ("000.yaml", "001.yaml", "002.yaml", "003.yaml")


def early_project(dest: Path, scenario: str | None = None) -> Path:
    """make_project with only the episodes 000-003 in talks/ (their images stay)."""
    project = make_project(dest, scenario)
    for path in (project / "talks").glob("*.yaml"):
        if path.name not in EARLY and not (scenario and (FIXTURES / scenario / "talks" / path.name).exists()):
            path.unlink()
    return project


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project with the early episodes 000-003, for tests that change it."""
    return early_project(tmp_path / "project")
