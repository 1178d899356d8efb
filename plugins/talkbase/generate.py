"""The generator core: load and check the project, render every page, write what changed into docs/.

The MkDocs plugin and the `talkbase` command both call `generate`; the result is plain Markdown
files, so the pages also build with any MkDocs-compatible engine after `talkbase generate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from talkbase import feeds
from talkbase.project import Layout, Project, load_project
from talkbase.render import Renderer, SiteOptions
from talkbase.write import WriteReport, write_tree


@dataclass
class Generated:
    project: Project
    report: WriteReport


def render_all(project: Project, options: SiteOptions) -> dict[str, str | bytes]:
    """Every generated file under docs/, by relative path."""
    renderer = Renderer(project, options)
    files: dict[str, str | bytes] = dict(renderer.pages())
    files["calendar.ics"] = feeds.calendar(renderer, options.site_url)
    if options.site_url:  # a feed needs absolute links
        files["feed.xml"] = feeds.atom(renderer, options.site_url)
    return files


def generate(layout: Layout, options: SiteOptions) -> Generated:
    """Load (raising ProblemsFound on any problem, before anything is written), render, write."""
    project = load_project(layout)
    files = render_all(project, options)
    return Generated(project, write_tree(layout.docs, files))
