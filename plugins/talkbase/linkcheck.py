"""What `talkbase links` finds and checks: every external link of the built site (or of the episode files)
and the pages that use it.

Listing is offline: it reads the HTML of a built site, or the episodes in talks/. `--online` then requests
each link (HEAD, then GET where a server refuses HEAD) with a short timeout and reports the ones that fail.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from talkbase.project import Project

# Where an HTML page refers to another resource, by tag.
_URL_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "iframe": "src", "img": "src", "script": "src",
                   "source": "src", "video": "src", "audio": "src", "embed": "src"}
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`\\\[\]{}|^()（）]+")
_TRAILING = ".,;:!?，。；：！？、」』”’"
USER_AGENT = "talkbase-linkcheck/1 (+https://github.com/; checks that the links of a talk archive still work)"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _URL_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value.strip())


def _external(url: str) -> str | None:
    """The absolute http(s) URL `url` names, or None for links inside the site (relative, #, mailto...)."""
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def page_of(site: Path, file: Path) -> str:
    """The path a reader requests for a built HTML file: talks/003/index.html -> /talks/003/."""
    rel = file.relative_to(site).as_posix()
    return "/" + (rel.removesuffix("index.html") if rel == "index.html" or rel.endswith("/index.html") else rel)


def _collect(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for url, page in pairs:
        found.setdefault(url, set()).add(page)
    return {url: sorted(found[url]) for url in sorted(found)}


def site_links(site: Path, own: str | None = None) -> dict[str, list[str]]:
    """Every external URL in the built site at `site`, with the pages that use it (both sorted).

    `own` is the site's own address (site_url): absolute links to it are internal, not listed.
    """
    own = (own or "").rstrip("/")

    def pairs() -> Iterator[tuple[str, str]]:
        for file in sorted(site.rglob("*.html")):
            parser = _Refs()
            parser.feed(file.read_text(encoding="utf-8", errors="replace"))
            page = page_of(site, file)
            for ref in parser.urls:
                url = _external(ref)
                if url and not (own and (url == own or url.startswith(own + "/"))):
                    yield url, page

    return _collect(pairs())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def urls_in_text(text: str) -> list[str]:
    """The http(s) URLs written in a piece of text or Markdown, without the punctuation that ends a sentence."""
    return [m.group(0).rstrip(_TRAILING) for m in _URL_IN_TEXT.finditer(text)]


def episode_links(project: Project) -> dict[str, list[str]]:
    """Every URL written in the episodes of a loaded project, with the episode pages that show it."""

    def pairs() -> Iterator[tuple[str, str]]:
        for src in project.sources:
            page = f"/talks/{src.episode.slug}/"
            for text in _strings(src.episode.model_dump(mode="json")):
                for url in urls_in_text(text):
                    yield url, page

    return _collect(pairs())


@dataclass(frozen=True)
class LinkResult:
    """How one link answered, kept apart from printing so `--online` can report every failure at the end."""

    url: str
    ok: bool
    status: int | None  # the final HTTP status, None when no answer came
    error: str  # why it failed ("" when ok)


def _ascii_url(url: str) -> str:
    """`url` without its fragment and with non-ASCII characters percent-encoded, as HTTP needs it."""
    return quote(url.split("#", 1)[0], safe=":/?&=%+@!$'()*,;~[]")


def check_url(url: str, timeout: float = 10.0) -> LinkResult:
    """Request `url`: HEAD first, then GET when the server answers HEAD with an error."""
    from urllib.error import HTTPError, URLError  # the HTTP client: only `--online` needs it
    from urllib.request import Request, urlopen

    target = _ascii_url(url)
    for method in ("HEAD", "GET"):
        request = Request(target, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        try:
            with urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked by callers
                return LinkResult(url, True, response.status, "")
        except HTTPError as err:
            if method == "GET":
                return LinkResult(url, False, err.code, f"HTTP {err.code} {err.reason}")
        except (URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            return LinkResult(url, False, None, str(reason) or type(err).__name__)
    raise AssertionError("unreachable")


def check_urls(urls: Iterable[str], timeout: float = 10.0, workers: int = 8) -> list[LinkResult]:
    """Check many URLs at once; results come back in the order of `urls`."""
    urls = list(urls)
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(urls)))) as pool:
        return list(pool.map(lambda u: check_url(u, timeout), urls))


def format_listing(found: dict[str, list[str]]) -> str:
    """One URL a line, each followed by the pages that use it, indented."""
    lines = []
    for url, pages in found.items():
        lines.append(url)
        lines += [f"    {page}" for page in pages]
    return "\n".join(lines)
