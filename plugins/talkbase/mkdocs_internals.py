"""Every private part of MkDocs and mkdocs-material that talkbase uses, in one place, behind one version check.

Each use saves time or work and leaves the site as it would be without it. `USES` lists them (pinned by a
test), each under the project it belongs to; they were tested with the versions in `TESTED`. With another
version of a project installed, `unsupported(project)` says why, the plugin logs that once per build, and
talkbase does without that project's parts. Without MkDocs' parts, MkDocs converts every page itself,
`talkbase serve` keeps MkDocs' own watch of docs/ (an edit may rebuild twice) and the theme's templates are
compiled on each build; without material's, material's own search indexes the site. The site is right
either way, only slower.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable

import jinja2

TESTED = {"mkdocs": "1.6.1", "mkdocs-material": "9.8.2"}

USES = {  # what talkbase touches that the two projects do not promise to keep, and why
    "mkdocs.structure.pages.Page.render": "set on a page while a helper converts pages: the page asks it first",
    "mkdocs.structure.pages.Page._title_from_render": "the title a helper's conversion found, copied onto the page",
    "mkdocs.structure.pages.Page.present_anchor_ids": "the anchors a helper's conversion found",
    "mkdocs.structure.pages.Page.links_to_anchors": "the links to anchors a helper's conversion found",
    "mkdocs.livereload.LiveReloadServer._watched_paths": "whether MkDocs watches docs/ itself",
    "mkdocs.livereload.LiveReloadServer._rebuild_cond": "asking for a rebuild, as MkDocs' own watch does",
    "mkdocs.livereload.LiveReloadServer._want_rebuild": "asking for a rebuild, as MkDocs' own watch does",
    "mkdocs.livereload.LiveReloadServer.observer": "watching docs/ with a handler that skips talkbase's writes",
    "mkdocs.theme.Theme.get_env": "a new Jinja environment each build, given a cache of compiled templates",
    "material.plugins.search.plugin.SearchPlugin.search_index": "material's index, which then indexes no page",
    "material.plugins.search.plugin.SearchIndex.add_entry_from_context": "replaced so that it indexes no page",
    "material's search worker messages": "answered by docs/javascripts/talkbase-search.js from talkbase's index",
}


def installed(name: str) -> str | None:
    """The installed version of distribution `name`, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def owner(use: str) -> str:
    """The project (distribution) a use in `USES` belongs to."""
    return "mkdocs-material" if use.startswith("material") else "mkdocs"


def unsupported(project: str) -> str | None:
    """Why talkbase leaves `project`'s private parts alone in this environment, or None when it may use them."""
    tested, found = TESTED[project], installed(project)
    if found != tested:
        return f"{project} {found or '(not installed)'} is installed, talkbase's shortcuts were tested with {tested}"
    return None


# --- a helper's conversion of pages (speed/conversion.py) ------------------------------------------------

def ask_before_render(page: Any, render: Callable[[Any, Any], None]) -> None:
    """Make MkDocs' call `page.render(config, files)` call `render` first; `render_as_mkdocs` undoes it."""
    page.render = render


def render_as_mkdocs(page: Any) -> None:
    """Back to MkDocs' own `Page.render` for this page."""
    page.__dict__.pop("render", None)


def converted(page: Any) -> tuple:
    """What MkDocs' `Page.render` sets on a page, as plain values a helper can send (links by source path)."""
    links = getattr(page, "links_to_anchors", None)
    return (page.content, page.toc, page._title_from_render, page.present_anchor_ids,
            None if links is None else {f.src_uri: anchors for f, anchors in links.items()})


def set_converted(page: Any, state: tuple, files: Any) -> None:
    """Set on `page` what `converted` took from the same page converted in a helper."""
    page.content, page.toc, page._title_from_render, page.present_anchor_ids, links = state
    if links is not None:
        page.links_to_anchors = {files.src_uris[uri]: anchors for uri, anchors in links.items()}


# --- `talkbase serve` ------------------------------------------------------------------------------------

def watch_except(server: Any, path: str, ours: Callable[[str], bool]) -> bool:
    """Replace MkDocs' own watch of `path` by one that skips changes `ours` claims; False if MkDocs did not
    watch it. The handler asks for a rebuild as MkDocs' own one does."""
    import watchdog.events

    if path not in server._watched_paths:
        return False

    class Watch(watchdog.events.FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
            if event.is_directory or all(ours(os.fsdecode(p)) for p in paths):
                return
            with server._rebuild_cond:
                server._want_rebuild = True
                server._rebuild_cond.notify_all()

    server.unwatch(path)
    server.observer.schedule(Watch(), path, recursive=True)
    return True


# --- the theme -------------------------------------------------------------------------------------------

def keep_compiled(env: jinja2.Environment, cache: jinja2.BytecodeCache | None) -> None:
    """Give the theme's environment a cache of compiled templates: MkDocs makes a new one each build and
    compiles some forty templates in it."""
    if env.bytecode_cache is None:
        env.bytecode_cache = cache


# --- material's search -----------------------------------------------------------------------------------

def index_no_page(search_plugin: Any) -> None:
    """Material's search plugin still writes search/search_index.json (its bundle fetches it for its
    settings), but without entries: it indexes no page."""
    search_plugin.search_index.add_entry_from_context = lambda page: None
