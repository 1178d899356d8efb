"""Images and other files that the text of an episode or of series.yml links: checked, copied into docs/, and
linked from every page that shows the text.

A text links a file as a Markdown file beside it would, relative to the file it is written in:
`![高考题](images/010-gaokao.png)` in talks/010.yaml is talks/images/010-gaokao.png, `[幻灯片](files/010.pdf)` a
PDF, and `![架构][arch]` with `[arch]: images/010-arch.png` the same as a reference. The generator copies each
file into docs/ at its place in the project (docs/talks/images/010-gaokao.png: `docs_path` is the one rule), and
the renderer writes each such target relative to the page being rendered, so one text works on every page that
shows it: an episode's item title on a topic page, series.yml's join text on the home page and every episode page.

Contributors' text is untrusted, and a copied file passes no allowlist, so little is published: a file inside the
project, outside docs/ and the site, not hidden (.git), found there without a link out of the project, and of a
type browsers only show (images, PDF). An SVG or HTML file on the site's own address could run scripts there.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from talkbase.load import Problem, ProblemsFound
from talkbase.mathml import CODE_SPAN
from talkbase.schema import markdown_texts

if TYPE_CHECKING:
    from talkbase.project import Layout, Project

IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"})
PREVIEWS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})  # what link previews (Open Graph) show
PUBLISHED = IMAGES | {".pdf"}
PAGES = frozenset({"", ".md", ".html", ".htm"})  # what names a page or a folder: pagelinks.py checks those links
SITE = "site"  # MkDocs' site_dir, where `talkbase build` writes
# `talkbase validate` warns above these sizes. Every reader of a page downloads its images (once per visit: pages
# load in place), often over a phone: a screenshot or a diagram is 50-500 KB as PNG, JPEG or WebP, and one above
# 1 MiB is nearly always a photo or a screenshot saved without compression, several times smaller once compressed.
# A linked file is downloaded only on a click; slides run to a few MB, and above 10 MiB a file belongs on a file
# host rather than in the repository, where every version stays for good (GitHub refuses files over 100 MB).
LARGE_IMAGE, LARGE_FILE = 1 << 20, 10 << 20

# A whole inline link or image, [label](target "title"), as Markdown makes an <a href> or <img src> of it
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")  # a scheme, or another host
_NOT_LOCAL = r"(?![A-Za-z][A-Za-z0-9+.-]*:|//|[#?)<>\s])"
# Where some text may link a file: an inline target or a reference definition with no scheme, more than an anchor.
# Unanchored, so that it finds definitions inside an indented YAML block too; it only decides what is read closer.
_LOCAL = re.compile(rf"\]\(\s*<?{_NOT_LOCAL}|\]:[ \t]*<?{_NOT_LOCAL}")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)>?", re.M)  # [arch]: images/010-arch.png
_NO_ALT = re.compile(r"(?<!\\)!\[\s*\](?:\(\s*<?([^)\s>]*)|\[([^\]\n]*)\])")  # ![](x.png), ![][ref]


def mentions(text: str) -> bool:
    """Whether `text` (a whole YAML file will do) may link a page or a file, or show an image: a quick test, so
    that only the few files that do are read field by field."""
    return "![" in text or bool(_LOCAL.search(text))


def _prose(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the parts of Markdown text outside code spans and fences: no link or image in code."""
    at = 0
    if "`" in text or "~~~" in text:
        for code in CODE_SPAN.finditer(text):
            yield at, code.start()
            at = code.end()
    yield at, len(text)


def targets(text: str | None) -> list[tuple[int, int, str]]:
    """(start, end, target) of each target of a link, image or reference definition in Markdown text that points
    inside the site (no scheme, no host, more than an anchor), in order."""
    if not text or not _LOCAL.search(text):
        return []
    found = sorted((m.start(1), m.end(1), m[1])
                   for start, end in _prose(text) for pattern in (_INLINE_LINK, _DEFINITION)
                   for m in pattern.finditer(text, start, end)
                   if not _URL.match(m[1]) and not m[1].startswith(("#", "?")))
    kept: list[tuple[int, int, str]] = []
    for target in found:  # `[a]: b](c)` reads as both; the definition came first
        if not kept or target[0] >= kept[-1][1]:
            kept.append(target)
    return kept


def without_alt(text: str) -> list[str]:
    """Why each image of Markdown text that has no alt text needs one."""
    if "![" not in text:
        return []
    found = []
    for start, end in _prose(text):
        for m in _NO_ALT.finditer(text, start, end):
            image, brackets = (repr(m[1]), "its brackets") if m[1] is not None else (f"[{m[2]}]", "its first brackets")
            found.append(f"the image {image} has no alt text; write what it shows between {brackets}, for readers "
                         f"who cannot see it")
    return found


def docs_path(layout: Layout, folder: str, target: str) -> str | None:
    """Where the file that `target` names, in a text written in a file in `folder` (relative to the project root),
    lies in the project and goes in docs/; None for a link to a page or a folder; ValueError saying why the file
    cannot be published. Only the path is read here, not the disk (see `locate`)."""
    try:
        path = unquote(urlsplit(target).path)
    except ValueError:  # not a URL at all: Markdown keeps it as text
        return None
    suffix = posixpath.splitext(posixpath.basename(path))[1].lower()
    if suffix in PAGES:
        return None
    if "\\" in path:
        raise ValueError(f"the link {target!r} has a backslash; write '/' between folders")
    if path.startswith("/"):
        raise ValueError(f"the link {target!r} is an absolute path; write it relative to the file it is written in")
    joined = posixpath.normpath(posixpath.join(folder, path))
    if joined == ".." or joined.startswith("../"):
        raise ValueError(f"the link {target!r} points outside the project")
    _publishable(layout, joined, target)
    return joined


def _publishable(layout: Layout, path: str, target: str) -> None:
    """ValueError if the file at `path` in the project is of a kind the site does not publish."""
    if any(part.startswith(".") for part in path.split("/")):
        raise ValueError(f"the link {target!r} names a hidden file, {path}, which is not published")
    for folder in (layout.rel(layout.docs), SITE):
        if path.startswith(f"{folder}/"):
            raise ValueError(f"the link {target!r} names {path}, in {folder}/, where the site is made; keep the "
                             f"file beside the text that shows it")
    suffix = posixpath.splitext(path)[1].lower()
    if suffix not in PUBLISHED:
        raise ValueError(f"the link {target!r} names a {suffix} file; only images ({', '.join(sorted(IMAGES))}) "
                         f"and .pdf files are published with the site")


def locate(layout: Layout, folder: str, target: str) -> str | None:
    """`docs_path`, once the file is found there, inside the project (a symbolic link is followed, and where it
    leads must be publishable too); ValueError saying why not."""
    path = docs_path(layout, folder, target)
    if path is None:
        return None
    real = (layout.root / path).resolve()
    if not real.is_relative_to(layout.root):
        raise ValueError(f"the link {target!r} names {path}, a link to a file outside the project")
    if (where := real.relative_to(layout.root).as_posix()) != path:
        _publishable(layout, where, target)
    if not real.is_file():
        raise ValueError(f"file not found: {path} (the link {target!r})")
    return path


def preview(layout: Layout, folder: str, image: str) -> str:
    """`locate` for the preview image of a page (`image:` of an episode or of series.yml): a picture that link
    previews show; ValueError saying why not."""
    try:
        suffix = posixpath.splitext(unquote(urlsplit(image).path))[1].lower()
    except ValueError:  # not a URL at all
        suffix = ""
    if suffix not in PREVIEWS:
        raise ValueError(f"expected a PNG, JPEG, GIF or WebP picture for link previews, found {image!r}")
    path = locate(layout, folder, image)
    if path is None:
        raise ValueError(f"expected a picture for link previews, found {image!r}")
    return path


def too_large(layout: Layout, path: str) -> str | None:
    """Why the file at `path` in the project is worth a warning for its size, or None."""
    size = (layout.root / path).stat().st_size
    image = posixpath.splitext(path)[1].lower() in IMAGES
    limit = LARGE_IMAGE if image else LARGE_FILE
    if size <= limit:
        return None
    why = ("every reader of the page downloads it; compress it or make it smaller" if image else
           "the repository keeps every version of it; consider a file host")
    return f"{path} is {-(-size // 1024)} KiB, more than {limit >> 20} MiB: {why}"


class Files:
    """The files that the texts of a loaded (valid) project link, by their path in the project and in docs/."""

    def __init__(self, project: Project):
        layout = self.layout = project.layout
        self.episodes = layout.rel(layout.talks)  # where every episode page's text is written
        self.series = posixpath.dirname(layout.rel(layout.series))
        self.paths: set[str] = set()
        self.previews: dict[str, str] = {}  # the preview picture of each episode page id ("" for the series')
        for folder, key, image in [(self.series, "", project.series.image),
                                   *((posixpath.dirname(s.display), s.episode.slug, s.episode.image)
                                     for s in project.sources)]:
            try:
                if image is not None:
                    self.previews[key] = preview(layout, folder, image)
            except ValueError:  # what validation reports
                continue
        self.paths.update(self.previews.values())
        for src in project.sources:
            if mentions(src.doc.text):
                folder = posixpath.dirname(src.display)
                for _, text in markdown_texts(src.episode):
                    self._add(layout, folder, text)
        # The texts of series.yml that link a file, by identity: their targets start from its folder wherever they
        # are shown, and an episode's text that reads the same still starts from the episode's.
        self.series_texts = {id(text): text for _, text in markdown_texts(project.series)
                             if self._add(layout, self.series, text)}

    def _add(self, layout: Layout, folder: str, text: str) -> bool:
        """Add the files `text` links; whether it links any."""
        found = False
        for _, _, target in targets(text):
            try:
                path = locate(layout, folder, target)
            except ValueError:  # what validation reports; a page linking it is not built
                continue
            if path is not None:
                self.paths.add(path)
                found = True
        return found

    def __bool__(self) -> bool:
        return bool(self.paths)

    def rewrite(self, text: str | None, href: Callable[[str], str]) -> str | None:
        """`text` with each target that names one of the files written as `href` makes it, from the page being
        rendered to the file's place in docs/ (with its query and fragment: slides.pdf#page=3)."""
        found = targets(text)
        if not found or text is None:  # (no target in no text: `text is None` tells the type checker)
            return text
        folder = self.series if self.series_texts.get(id(text)) is text else self.episodes
        out, at = [], 0
        for start, end, target in found:
            try:
                path = docs_path(self.layout, folder, target)
            except ValueError:
                continue
            if path not in self.paths:
                continue
            parts = urlsplit(target)
            # <images/a.png>: written plain, or rawtext shows the <
            if text[start - 1:start] == "<" and text[end:end + 1] == ">":
                start, end = start - 1, end + 1
            out += [text[at:start], urlunsplit(("", "", quote(href(path), safe="/"), parts.query, parts.fragment))]
            at = end
        return "".join(out) + text[at:] if out else text

    def contents(self) -> dict[str, bytes]:
        """What the generator writes into docs/: each file, at its path in the project."""
        files = {}
        for path in sorted(self.paths):
            try:
                files[path] = (self.layout.root / path).read_bytes()
            except OSError as err:  # removed or made unreadable since it was checked
                raise ProblemsFound([Problem(path, 1, 1, f"cannot read it: {err.strerror or err}")]) from None
        return files
