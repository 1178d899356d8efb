"""Links in the text of episodes and series.yml to pages of the site that do not exist, and to files beside the
text that are missing or cannot be published (assets.py); images without alt text.

MkDocs looks up every relative link of a page among the site's files and warns about a missing one, naming
the generated page; `talkbase validate` makes the same look-up for the text a person wrote and reports it at
the field that holds it. Most files have no such link, so a file's text is searched once and only the few
that have one are read field by field.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Iterator
from urllib.parse import unquote, urlsplit

from talkbase import assets, slugs
from talkbase.load import Document, Problem, ProblemsFound, key_path, read_document
from talkbase.schema import markdown_texts
from talkbase.write import MANIFEST, read_manifest

if TYPE_CHECKING:
    from talkbase.project import Project

HOME, EPISODE = "index.md", "talks/"
# Where the bundled templates show the texts of series.yml: the home page, every episode page, or both
SERIES_PAGES = {"tagline": (HOME,), "privacy": (HOME,), "origin": (HOME, EPISODE), "structure": (HOME, EPISODE),
                "join": (HOME, EPISODE), "requirements": (EPISODE,), "sections": (EPISODE,)}


def problems(project: Project) -> list[Problem]:
    """Every link to a missing page or file and every image without alt text in the text of valid episodes and
    of series.yml. A target that names a file beside the text is that file (assets.py); one that does not is
    looked up from each page that shows the text, as MkDocs will."""
    found = _previews(project)
    files: set[str] | None = None  # the site's files, once a link needs them
    for display, doc, folder, loc, text, pages in _texts(project):
        where = (display, *doc.marks.get(loc, (1, 1)))
        found += [Problem(*where, f"{key_path(loc)}: {why}") for why in assets.without_alt(text)]
        for _, _, target in assets.targets(text):
            try:
                if assets.locate(project.layout, folder, target) is not None:
                    continue
                refused = None
            except ValueError as err:
                refused = str(err)
            files = _site_files(project) if files is None else files
            missing = [(page, why) for page in pages if (why := _missing(page, target, files))]
            if refused is not None and len(missing) == len(pages):  # no file of the site either, from any page
                found.append(Problem(*where, f"{key_path(loc)}: {refused}"))
            elif missing:
                page, reason = missing[0]
                also = f" from {page}, which shows this text too" if len(pages) > 1 else ""
                found.append(Problem(*where, f"{key_path(loc)}: {reason}{also}"))
    return found


def _previews(project: Project) -> list[Problem]:
    """A preview picture (`image:`) that is missing or cannot be one."""
    found = []
    images = [(s.display, s.doc, s.episode.image) for s in project.sources if s.episode.image is not None]
    if project.series.image is not None:
        try:
            display, series = read_document(project.layout.series, project.layout.root)
        except ProblemsFound:  # changed since it was loaded: the next run reports it
            display = None
        if display is not None:
            images.append((display, series, project.series.image))
    for display, doc, image in images:
        try:
            assets.preview(project.layout, posixpath.dirname(display), image)
        except ValueError as err:
            found.append(Problem(display, *doc.marks.get(("image",), (1, 1)), f"image: {err}"))
    return found


def warnings(project: Project) -> list[Problem]:
    """Files the texts link that are large for a page or for the repository, each once: `talkbase validate`
    shows them, and they fail nothing (a strict build included)."""
    found, seen = [], set()
    for display, doc, folder, loc, text, _ in _texts(project):
        for _, _, target in assets.targets(text):
            try:
                path = assets.locate(project.layout, folder, target)
            except ValueError:  # a problem, reported by `problems`
                continue
            if path is not None and path not in seen and (why := assets.too_large(project.layout, path)):
                seen.add(path)
                found.append(Problem(display, *doc.marks.get(loc, (1, 1)), f"warning: {key_path(loc)}: {why}"))
    return found


def _texts(project: Project) -> Iterator[tuple[str, Document, str, tuple, str, list[str]]]:
    """(file, its document, its folder, key path, text, the pages that show it) of each Markdown text of a file
    that may link a page or a file."""
    for src in project.sources:
        if assets.mentions(src.doc.text):
            page = slugs.page("talks", src.episode.slug)
            for loc, text in markdown_texts(src.episode):
                yield src.display, src.doc, posixpath.dirname(src.display), loc, text, [page]
    try:
        display, series = read_document(project.layout.series, project.layout.root)
    except ProblemsFound:  # changed since it was loaded: the next run reports it
        return
    if assets.mentions(series.text):
        # any episode page stands for all of them: they are in one folder
        shown = {HOME: HOME, EPISODE: slugs.page("talks", project.sources[0].episode.slug) if project.sources else ""}
        for loc, text in markdown_texts(project.series):
            pages = [shown[p] for p in SERIES_PAGES.get(loc[0], ()) if shown[p]]
            yield display, series, posixpath.dirname(display), loc, text, pages


def _site_files(project: Project) -> set[str]:
    """The files of the site under docs/: those the generator writes, and those a person put there. Of what an
    earlier run wrote, only the pages written now and the notebooks' outputs count: a page or a copied file may be
    gone from the sources since."""
    from talkbase.generate import DEMOS
    from talkbase.render import Renderer, SiteOptions  # Jinja and the templates: only once some text has such a link

    renderer = Renderer(project, SiteOptions())
    docs = project.layout.docs
    written = {job.path for job in renderer.jobs()} | {"calendar.ics", "feed.xml", "feed.json"}
    earlier = {f for f in read_manifest(docs / MANIFEST) if not f.startswith(f"{DEMOS}/")}
    kept = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()} if docs.is_dir() else set()
    return written | {f for f in kept - earlier if not any(part.startswith(".") for part in f.split("/"))}


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
              f"the root; write it relative to this page" if absolute
              else f"the link {target!r} points to no page of the site")
    # MkDocs' guesses: from the page's file and from its address (talks/003/), the file of a folder or an .html page
    address = folder if posixpath.basename(page) == "index.md" else posixpath.splitext(page)[0]
    for base in dict.fromkeys((folder, address)):
        stem = posixpath.normpath(posixpath.join(base, path)).lstrip("/")
        for guess in (stem, posixpath.join(stem, "index.md"), stem.removesuffix(".html") + ".md"):
            if guess in files:
                fragment = f"#{parts.fragment}" if parts.fragment else ""
                return f"{reason}; did you mean '{posixpath.relpath(guess, folder or '.')}{fragment}'?"
    return reason
