"""Links in the text of episodes and series.yml to pages of the site that do not exist.

MkDocs looks up every relative link of a page among the site's files and warns about a missing one, naming
the generated page; `talkbase validate` makes the same look-up for the text a person wrote and reports it at
the field that holds it. Most files have no such link, so a file's text is searched once and only the few
that have one are read field by field.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import unquote, urlsplit

from talkbase import slugs
from talkbase.load import Document, Problem, ProblemsFound, key_path, read_document
from talkbase.schema import markdown_texts, site_links

if TYPE_CHECKING:
    from talkbase.project import Project

HOME, EPISODE = "index.md", "talks/"
# Where the bundled templates show the texts of series.yml: the home page, every episode page, or both
SERIES_PAGES = {"tagline": (HOME,), "privacy": (HOME,), "origin": (HOME, EPISODE), "structure": (HOME, EPISODE),
                "join": (HOME, EPISODE), "requirements": (EPISODE,), "sections": (EPISODE,)}


def problems(project: Project) -> list[Problem]:
    """Every link to a missing page in the text of valid episodes and of series.yml."""
    try:
        display, series = read_document(project.layout.series, project.layout.root)
    except ProblemsFound:  # changed since it was loaded: the next run reports it
        display, series = "", Document("")
    episodes = [src for src in project.sources if site_links(src.doc.text)]
    if not episodes and not site_links(series.text):
        return []
    files = _site_files(project)
    found = []
    for src in episodes:
        page = slugs.page("talks", src.episode.slug)
        found += _check(src.display, src.doc, markdown_texts(src.episode), lambda loc: [page], files)
    if site_links(series.text):
        # any episode page stands for all of them: they are in one folder
        shown = {HOME: HOME, EPISODE: slugs.page("talks", project.sources[0].episode.slug) if project.sources else None}
        found += _check(display, series, markdown_texts(project.series),
                        lambda loc: [shown[p] for p in SERIES_PAGES.get(loc[0], ()) if shown[p]], files)
    return found


def _check(display: str, doc: Document, texts: Iterator[tuple[tuple, str]], pages: Callable[[tuple], list[str]],
           files: set[str]) -> list[Problem]:
    found = []
    for loc, text in texts:
        for target in site_links(text):
            shown = pages(loc)
            for page in shown:
                if reason := _missing(page, target, files):
                    also = f" from {page}, which shows this text too" if len(shown) > 1 else ""
                    found.append(Problem(display, *doc.marks.get(loc, (1, 1)), f"{key_path(loc)}: {reason}{also}"))
                    break
    return found


def _site_files(project: Project) -> set[str]:
    """The files of the site under docs/: those the generator writes, and those a person put there."""
    from talkbase.render import Renderer, SiteOptions  # Jinja and the templates: only once some text has such a link

    renderer = Renderer(project, SiteOptions())
    docs = project.layout.docs
    written = {job.path for job in renderer.jobs()} | {"calendar.ics", "feed.xml"}
    kept = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()} if docs.is_dir() else set()
    return written | {f for f in kept if not any(part.startswith(".") for part in f.split("/"))}


def _missing(page: str, target: str, files: set[str]) -> str | None:
    """Why MkDocs would warn about `target` on `page`, or None; with the file that was likely meant, as it guesses."""
    try:
        parts = urlsplit(target)
    except ValueError:  # not a URL at all: Markdown keeps it as text
        return None
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path, folder = unquote(parts.path), posixpath.dirname(page)
    absolute = target.startswith(("/", "\\"))
    if not absolute and posixpath.normpath(posixpath.join(folder, path)).lstrip("/") in files:
        return None
    reason = (f"the link {target!r} starts at the root of the host, so it breaks where the site is not served from "
              f"the root; write it relative to this page" if absolute else f"the link {target!r} points to no page of the site")
    # MkDocs' guesses: from the page's file and from its address (talks/003/), the file of a folder or an .html page
    address = folder if posixpath.basename(page) == "index.md" else posixpath.splitext(page)[0]
    for base in dict.fromkeys((folder, address)):
        stem = posixpath.normpath(posixpath.join(base, path)).lstrip("/")
        for guess in (stem, posixpath.join(stem, "index.md"), stem.removesuffix(".html") + ".md"):
            if guess in files:
                fragment = f"#{parts.fragment}" if parts.fragment else ""
                return f"{reason}; did you mean '{posixpath.relpath(guess, folder or '.')}{fragment}'?"
    return reason
