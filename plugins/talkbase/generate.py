"""The generator: load and check the project, render every page, write what changed into docs/.

The MkDocs plugin and the `talkbase` command both call `generate`; the result is plain Markdown
files, so the pages also build with any MkDocs-compatible engine after `talkbase generate`. It runs
the pure core (project.py, render.py) through the speed layer (`talkbase.speed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from talkbase import feeds, history
from talkbase.demos import Notebook, RenderedDemo, render_freeze
from talkbase.project import Layout, Project
from talkbase.render import Renderer, SiteOptions
from talkbase.speed.collector import collector_paused
from talkbase.speed.loading import load_project
from talkbase.speed.pages import compiled_templates, render_pages
from talkbase.write import WriteReport, write_tree

DEMOS = "assets/demos"  # where the files of notebooks' frozen runs go in docs/


@dataclass
class Generated:
    """What a generation made: the project it loaded, what it wrote into docs/, what it warns of."""

    project: Project
    report: WriteReport
    warnings: list[str]


def frozen_demos(project: Project, warnings: list[str]) -> tuple[dict[str, RenderedDemo | None], dict[str, bytes]]:
    """Read the frozen run of every notebook an episode references; never execute anything."""
    demos: dict[str, RenderedDemo | None] = {}
    files: dict[str, bytes] = {}
    for src in project.sources:
        for ref in src.episode.practice.notebooks if src.episode.practice else []:
            if ref in demos:
                continue
            path = project.layout.root / ref
            notebook = Notebook.at(path, project.layout.notebooks)
            demo = render_freeze(notebook, f"{DEMOS}/{path.stem}")
            demos[ref] = demo
            if demo is None:
                warnings.append(f"{ref} has never been run, so {src.display} shows no outputs; "
                                f"run: talkbase demos run {path.stem}")
            else:
                files.update(demo.files)
                if demo.state == "stale":
                    warnings.append(f"{ref} changed since its outputs were frozen; refresh them with: "
                                    f"talkbase demos run {path.stem}")
    return demos, files


def render_all(project: Project, options: SiteOptions, warnings: list[str] | None = None) -> dict[str, str | bytes]:
    """Every generated file under docs/, by relative path, with the files the texts link (read again each time, so
    that an edited image reaches the site); problems worth a warning go to `warnings`."""
    warnings = warnings if warnings is not None else []
    demos, demo_files = frozen_demos(project, warnings)
    files: dict[str, str | bytes] = dict(demo_files)
    changed = history.last_changed(project.layout.root, [src.display for src in project.sources])
    with collector_paused():
        renderer = Renderer(project, options, demos, changed, compiled_templates(project.layout.root))
        files.update(render_pages(renderer))
        files["calendar.ics"] = feeds.calendar(renderer, options.site_url)
        for src in project.sources:
            if src.episode.video and (chapters := renderer.chapters(src)):
                paths = renderer.chapter_files(src.episode)
                files[paths["vtt"]] = feeds.webvtt(renderer, chapters, src.episode.video.length)
                files[paths["txt"]] = feeds.chapter_lines(renderer, chapters)
        if options.site_url:  # a feed needs absolute links
            for feed in feeds.feeds(renderer):
                files[feed.atom] = feeds.atom(renderer, feed, options.site_url)
                files[feed.json] = feeds.json_feed(renderer, feed, options.site_url)
    return renderer.files.contents() | files  # a generated file keeps its place over a linked one of its name


def generate(layout: Layout, options: SiteOptions) -> Generated:
    """Load (raising ProblemsFound on any problem, before anything is written), render, write."""
    project = load_project(layout)
    warnings: list[str] = []
    files = render_all(project, options, warnings)
    return Generated(project, write_tree(layout.docs, files), warnings)
