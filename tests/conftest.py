"""Shared fixtures: copies of the real project in a temporary folder, built with the real MkDocs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from talkbase.publish import build_into

from benchmarks.projects import FIXTURES, make_project, tracked  # one copy for the tests and the benchmarks

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["EARLY", "FIXTURES", "ROOT", "SEED", "build", "early_project", "make_project", "tracked"]
SEED = FIXTURES / "seeds" / "openllm-talk-003.txt"  # a copy: tests read nothing outside the repository
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
# talkbase's cache on disk (speed/cache.py) goes to a folder of this test session, never the user's ~/.cache
os.environ["TALKBASE_CACHE"] = tempfile.mkdtemp(prefix="talkbase-test-cache-")


def build(project: Path, strict: bool = True) -> Path:
    """Build `project` into its site/ with the real MkDocs, strict unless told otherwise; the site folder."""
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
