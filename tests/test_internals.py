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
from material.plugins.search.plugin import SearchIndex, SearchPlugin
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

import talkbase
from conftest import build, early_project
from talkbase import mkdocs_internals as internals
from talkbase.speed import forked

PACKAGE = Path(talkbase.__file__).parent

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
    assert internals.unsupported() is None  # what the project installs is what was tested
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


def test_outside_the_tested_versions_the_pages_are_built_without_them(tmp_path, monkeypatch):
    asked: list[object] = []
    ask = internals.ask_before_render
    monkeypatch.setattr(internals, "ask_before_render", lambda page, render: asked.append(page) or ask(page, render))
    monkeypatch.setattr(forked, "MIN_JOBS", 1)  # a helper even for this small site, where it may run
    monkeypatch.setattr(forked, "alone", lambda: True)  # threads earlier tests left behind do not matter here
    tested = build(early_project(tmp_path / "tested"))
    assert asked  # the shortcuts were taken

    asked.clear()
    real = internals.installed
    monkeypatch.setattr(internals, "installed", lambda name: "9.9.0" if name == "mkdocs-material" else real(name))
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        other = build(early_project(tmp_path / "other"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    said = [m for m in messages if "9.9.0" in m]
    assert len(said) == 1 and "tested with 9.8.2" in said[0], said  # one line says why
    assert asked == []  # MkDocs converted every page itself
    assert not (other / "search" / "talkbase").exists() and (tested / "search" / "talkbase" / "index.json").is_file()
    assert len(json.loads((other / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]) > 50
    assert _articles(other) == _articles(tested) and len(_articles(tested)) > 20
