"""The bundled archive is the series' own notes: every URL of each source episode is on its page.

`tests/fixtures/sources/NNN.urls` lists every distinct URL of episode NNN's published notes (its text and
the link targets behind link text in its PDF), rejoined where the PDF export broke them. The notes end
with a 往期精彩 list of earlier episodes' articles and videos; the site lists the ten latest of them, so an
older episode's article or video counts as kept when it is on that episode's own page.
"""

from __future__ import annotations

import html
from pathlib import Path

import lxml.html
import pytest
import yaml
from conftest import FIXTURES, ROOT

SOURCES = sorted((FIXTURES / "sources").glob("*.urls"))


def earlier_episodes() -> dict[str, str]:
    """The article and video links of the bundled episodes, by link: the page id of their episode."""
    out = {}
    for path in sorted((ROOT / "talks").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for url in (data.get("article"), (data.get("video") or {}).get("url")):
            if url:
                out[url] = path.stem
    return out


def urls(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_url_of_the_source_is_on_its_page(site, source):
    page = site / "talks" / source.stem / "index.html"
    body = html.unescape(page.read_text(encoding="utf-8"))
    listed = urls(source)
    assert listed, f"{source.name} lists no URL"
    elsewhere = earlier_episodes()
    missing = [u for u in listed if u not in body and not (
        u in elsewhere
        and u in html.unescape((site / "talks" / elsewhere[u] / "index.html").read_text(encoding="utf-8")))]
    assert not missing, f"{len(missing)} of {len(listed)} URLs of {source.stem} are not on its page: {missing[:5]}"


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_image_of_an_episode_reaches_the_site(site, source):
    page = site / "talks" / source.stem / "index.html"
    for img in lxml.html.parse(str(page)).getroot().iter("img"):
        src = img.get("src", "")
        if src.startswith(("http:", "https:", "data:")):
            continue
        assert img.get("alt"), f"{source.stem}: an image without alt text ({src})"
        assert (page.parent / src).resolve().is_file(), f"{source.stem}: {src} is not in the site"


def test_the_archive_holds_the_transcribed_episodes():
    assert len(SOURCES) >= 13  # 000-003, 005-009, 011-014
