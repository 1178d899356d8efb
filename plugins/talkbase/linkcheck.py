"""`talkbase links`: every external link of the built site (or of the episode files) and the pages that use it.

Listing is offline: it reads the HTML of a built site, or the episodes in talks/. `--online` then requests
each link (HEAD, then GET where a server refuses HEAD) with a short timeout and reports the ones that fail.
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote, urlsplit

import click

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


def episode_links(config_file: Path) -> dict[str, list[str]]:
    """Every URL written in the episodes of the project of `config_file`, with the episode pages that show it."""
    from talkbase.project import load_project
    from talkbase.publish import layout_from

    project = load_project(layout_from(config_file))

    def pairs() -> Iterator[tuple[str, str]]:
        for src in project.sources:
            page = f"/talks/{src.episode.slug}/"
            for text in _strings(src.episode.model_dump(mode="json")):
                for url in urls_in_text(text):
                    yield url, page

    return _collect(pairs())


@dataclass(frozen=True)
class LinkResult:
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


def _config_path(ctx: click.Context) -> Path:
    root = ctx.find_root().obj
    return Path(root["config"] if isinstance(root, dict) and root.get("config") else "mkdocs.yml").resolve()


def _stop(ctx: click.Context, message: str, code: int) -> None:
    click.echo(message, err=True)
    ctx.exit(code)


@click.command(short_help="List (or check) the external links of the site.")
@click.option("--site-dir", "-d", type=click.Path(path_type=Path),
              help="Built site to read (default: site_dir of mkdocs.yml).")
@click.option("--episodes", is_flag=True, help="List the links written in talks/*.yaml instead of a built site.")
@click.option("--online", is_flag=True, help="Request every link (HEAD, else GET) and report those that fail.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for each server with --online.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON instead of text.")
@click.pass_context
def links(ctx: click.Context, site_dir: Path | None, episodes: bool, online: bool, timeout: float,
          as_json: bool) -> None:
    """List every external link of the built site (or of the episodes) with the pages that use it.

    Offline by default. With --online each link is requested and the failures are listed;
    the exit status is then 1 when any link failed.
    """
    if episodes and site_dir:
        raise click.UsageError("--episodes reads talks/*.yaml; it takes no --site-dir")
    if episodes or site_dir is None:
        config_file = _config_path(ctx)
        if not config_file.is_file():
            _stop(ctx, f"talkbase links: no {config_file.name} in {config_file.parent}; run it from the project "
                       "folder, pass --config, or name a built site with --site-dir", 2)
    own = None
    if episodes:
        from talkbase.load import ProblemsFound

        try:
            found = episode_links(config_file)
        except ProblemsFound as err:
            _stop(ctx, f"talkbase links: the episodes have problems (talkbase validate lists them):\n{err}", 1)
    else:
        if site_dir is None:
            from talkbase.publish import mkdocs_config

            cfg = mkdocs_config(config_file)
            site_dir, own = Path(cfg.site_dir), cfg.site_url
        if not (site_dir / "index.html").is_file():
            _stop(ctx, f"talkbase links: no built site in {site_dir}; run talkbase build first", 2)
        found = site_links(site_dir, own)
    pages = len({p for ps in found.values() for p in ps})

    if not online:
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        elif found:
            click.echo(format_listing(found))
        click.echo(f"{len(found)} external link(s) on {pages} page(s)", err=True)
        return

    results = check_urls(found, timeout=timeout)
    failed = [r for r in results if not r.ok]
    if as_json:
        click.echo(json.dumps([{**asdict(r), "pages": found[r.url]} for r in failed], ensure_ascii=False, indent=2))
    else:
        for r in failed:
            click.echo(f"FAIL {r.url} — {r.error}")
            for page in found[r.url]:
                click.echo(f"    {page}")
    click.echo(f"{len(failed)} of {len(results)} external link(s) failed", err=True)
    if failed:
        ctx.exit(1)


if __name__ == "__main__":  # python -m talkbase.linkcheck
    sys.exit(links())
