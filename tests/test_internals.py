"""MkDocs' and material's private parts: all in one module (mkdocs_internals.py), behind one version check.
Outside the tested versions talkbase does without them, says so in one line, and builds the same pages."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import logging
import re
from pathlib import Path

import jinja2
import lxml.html
import pytest
from material.plugins.search.plugin import SearchIndex, SearchPlugin
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

import talkbase
from conftest import build, early_project
from talkbase import mkdocs_internals as internals
from talkbase.speed import forked

PACKAGE = Path(talkbase.__file__).parent
INSTALLED = internals.installed  # the real look-up, which a test's stand-in falls back to

PINNED = {  # a change here is a change of what talkbase depends on: check it against both projects' sources
    "mkdocs.structure.pages.Page.render",
    "mkdocs.structure.pages.Page._title_from_render",
    "mkdocs.structure.pages.Page.present_anchor_ids",
    "mkdocs.structure.pages.Page.links_to_anchors",
    "mkdocs.livereload.LiveReloadServer._watched_paths",
    "mkdocs.livereload.LiveReloadServer._rebuild_cond",
    "mkdocs.livereload.LiveReloadServer._want_rebuild",
    "mkdocs.livereload.LiveReloadServer.observer",
    "mkdocs.theme.Theme.get_env",
    "material.plugins.search.plugin.SearchPlugin.search_index",
    "material.plugins.search.plugin.SearchIndex.add_entry_from_context",
    "material's search worker messages",
}

# Private names of other objects that talkbase's own modules may use: the standard library's, its own.
OWN = {("speed/forked.py", "os._exit"), ("links.py", "parts._replace"), ("demos.py", "notebook._json"),
       ("demos.py", "notebook._notebook")}


def test_the_list_of_private_parts_is_pinned():
    assert set(internals.USES) == PINNED


def test_each_private_part_is_there_in_the_tested_versions():
    assert {internals.owner(use) for use in internals.USES} == set(internals.TESTED)
    for project in internals.TESTED:  # what the project installs is what was tested
        assert internals.unsupported(project) is None
    for use in internals.USES:
        if not use.startswith(("mkdocs.", "material.")):
            continue
        module, owner_name, attr = use.rsplit(".", 2)
        owner = getattr(importlib.import_module(module), owner_name)
        assert hasattr(owner, attr) or re.search(rf"\bself\.{attr}\b", inspect.getsource(owner)), use


def _touches(path: Path, foreign: set[str]) -> list[str]:
    """Private attributes of objects other than self, and assignments over methods of MkDocs' objects."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and ast.unparse(target.value) != "self" and target.attr in foreign:
                found.append(f"sets {ast.unparse(target)}")
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_[^_].*", node.attr) \
                and ast.unparse(node.value) not in ("self", "cls"):
            found.append(ast.unparse(node))
    return found


def test_no_other_module_touches_them():
    owners = (Page, File, Files, LiveReloadServer, SearchIndex, SearchPlugin, jinja2.Environment)
    foreign = {name for owner in owners for name in dir(owner)  # their methods, and what internals sets
               if not name.startswith("__") and callable(getattr(owner, name))} | {"bytecode_cache", "search_index"}
    touched = {(path.relative_to(PACKAGE).as_posix(), use) for path in sorted(PACKAGE.rglob("*.py"))
               if path.name != "mkdocs_internals.py" for use in _touches(path, foreign)}
    assert touched == OWN


def _articles(site: Path) -> dict[str, str]:
    """Each page's article, as readers see it: what the version check must leave as it is."""
    out = {}
    for path in sorted(site.rglob("index.html")):
        tree = lxml.html.fromstring(path.read_bytes())
        out[path.relative_to(site).as_posix()] = "".join(lxml.html.tostring(a, encoding="unicode")
                                                         for a in tree.iter("article"))
    return out


def _build_as_if(project: Path, monkeypatch, versions: dict[str, str]) -> tuple[Path, list[str]]:
    """A strict build of `project` with `versions` reported as installed; the site and the messages logged."""
    monkeypatch.setattr(internals, "installed", lambda name: versions.get(name) or INSTALLED(name))
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return build(project), messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def asked(monkeypatch) -> list[object]:
    """The pages MkDocs asked a helper for, with a helper even for a small site (where it may run)."""
    pages: list[object] = []
    ask = internals.ask_before_render
    monkeypatch.setattr(internals, "ask_before_render", lambda page, render: pages.append(page) or ask(page, render))
    monkeypatch.setattr(forked, "MIN_JOBS", 1)
    monkeypatch.setattr(forked, "alone", lambda: True)  # threads earlier tests left behind do not matter here
    return pages


def test_outside_the_tested_versions_the_pages_are_built_without_them(tmp_path, monkeypatch, asked):
    tested, said = _build_as_if(early_project(tmp_path / "tested"), monkeypatch, {})
    assert asked and not [m for m in said if "tested with" in m]  # every shortcut taken, nothing said
    assert (tested / "search" / "talkbase" / "index.json").is_file()

    asked.clear()
    other, said = _build_as_if(early_project(tmp_path / "mkdocs"), monkeypatch, {"mkdocs": "1.6.2"})
    assert [m for m in said if "1.6.2" in m] == [
        "talkbase: mkdocs 1.6.2 is installed, talkbase's shortcuts were tested with 1.6.1: every page is "
        "converted in one process, the theme's templates are compiled each build, and `talkbase serve` may "
        "rebuild twice after an edit"]
    assert asked == []  # MkDocs converted every page itself
    assert (other / "search" / "talkbase" / "index.json").is_file()  # material's parts are still used
    assert _articles(other) == _articles(tested) and len(_articles(tested)) > 20

    asked.clear()
    other, said = _build_as_if(early_project(tmp_path / "material"), monkeypatch, {"mkdocs-material": "9.9.0"})
    assert [m for m in said if "9.9.0" in m] == [
        "talkbase: mkdocs-material 9.9.0 is installed, talkbase's shortcuts were tested with 9.8.2: "
        "using material's own search"]
    assert asked  # MkDocs' parts are still used
    assert not (other / "search" / "talkbase").exists()
    assert len(json.loads((other / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]) > 50
    assert _articles(other) == _articles(tested)
