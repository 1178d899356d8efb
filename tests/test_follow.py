"""Readers find their way in: feeds for the site, each topic and each person (Atom and JSON Feed), announced
in every page's head; link previews (Open Graph, Twitter cards); moments in the talk video (links, chapter
list, WebVTT and mm:ss chapter files); the day an episode's file last changed, from git."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
import lxml.html
import pytest
from browser_kit import SiteServer, browser, chromium  # noqa: F401 - fixtures
from conftest import ROOT, build, early_project
from test_cli import talkbase

SITE_URL = "https://openllm-talk.example.org/"
# The moments this module adds to a copy of 003 (the notes give only the start, 10:10)
MOMENTS = {"news-2": "25:30", "q-1": "1:02:15", "organisation": 4000}


def page_of(site: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / path / "index.html").read_bytes())


def ids_of(site: Path, page: str) -> set[str]:
    return set(page_of(site, page).xpath("//@id"))


def local(url: str) -> tuple[str, str]:
    """A site address as (page folder under the site, anchor)."""
    assert url.startswith(SITE_URL), url
    path, _, anchor = url[len(SITE_URL):].partition("#")
    return path, anchor


# --- feeds ---------------------------------------------------------------------------------

def feed_files(site: Path) -> list[Path]:
    return [site / "feed.xml", *sorted((site / "topics").glob("*.xml")), *sorted((site / "people").glob("*.xml"))]


def test_every_atom_feed_parses_and_links_to_anchors_that_exist(site):
    files = feed_files(site)
    assert len(files) > 50  # the site's, and one per topic and person
    pages: dict[str, set[str]] = {}
    empty = []  # a topic of undated specials only: an entry needs a time
    for file in files:
        parsed = feedparser.parse(file.read_bytes())
        assert not parsed.bozo, (file, parsed.get("bozo_exception"))
        assert parsed.feed.title.startswith("OpenLLM Talk"), file
        if not parsed.entries:
            empty.append(file)
        times = [e.updated_parsed for e in parsed.entries]
        assert times == sorted(times, reverse=True), f"{file}: not newest first"
        for entry in parsed.entries:
            path, anchor = local(entry.link)
            assert (site / path / "index.html").is_file(), entry.link
            if anchor:
                assert anchor in pages.setdefault(path, ids_of(site, path)), entry.link
    assert len(empty) < len(files) / 10, empty


def test_a_topic_feed_holds_the_entries_about_it_at_their_anchors(site):
    parsed = feedparser.parse((site / "topics" / "rope.xml").read_bytes())
    assert parsed.feed.title == "OpenLLM Talk · RoPE"
    links = [e.link for e in parsed.entries]
    assert f"{SITE_URL}talks/005/#q-12" in links  # 位置编码的多维度？ is tagged RoPE
    assert len(links) == len(set(links))
    # the page it follows lists the same places
    listed = {urljoin(f"{SITE_URL}topics/rope/", a) for a in page_of(site, "topics/rope").xpath("//article//a/@href")}
    assert set(links) <= listed


def test_json_feeds_have_what_json_feed_1_1_requires_and_match_the_atom_feed(site):
    for atom in feed_files(site):
        doc = json.loads(atom.with_suffix(".json").read_text(encoding="utf-8"))
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(doc["title"], str) and doc["title"]
        assert doc["feed_url"] == SITE_URL + atom.relative_to(site).with_suffix(".json").as_posix()
        assert isinstance(doc["items"], list)
        for item in doc["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert isinstance(item.get("content_text") or item.get("content_html"), str)
            dt.datetime.fromisoformat(item["date_published"])  # RFC 3339
        parsed = feedparser.parse(atom.read_bytes())
        assert [i["url"] for i in doc["items"]] == [e.link for e in parsed.entries], atom
        assert [i["title"] for i in doc["items"]] == [e.title for e in parsed.entries], atom


def test_every_page_announces_the_site_feed_and_topic_and_person_pages_their_own(site):
    pages = [p for p in site.rglob("*.html") if p.name == "index.html"]
    assert len(pages) > 100
    for file in pages:
        head = lxml.html.fromstring(file.read_bytes()).head
        alternates = {(link.get("type"), urljoin(file.as_uri(), link.get("href")))
                      for link in head.xpath("link[@rel='alternate']")}
        assert ("application/atom+xml", (site / "feed.xml").as_uri()) in alternates, file
        assert ("application/feed+json", (site / "feed.json").as_uri()) in alternates, file
    for folder, name in (("topics", "rope"), ("people", "xianyu")):
        head = page_of(site, f"{folder}/{name}").head
        own = {link.get("href") for link in head.xpath("link[contains(concat(' ', @rel, ' '), ' alternate ')]")}
        assert {f"../{name}.xml", f"../{name}.json"} <= own
        assert (site / folder / f"{name}.xml").is_file()


# --- link previews -------------------------------------------------------------------------

def meta(head: lxml.html.HtmlElement) -> dict[str, str]:
    return {m.get("property") or m.get("name"): m.get("content") for m in head.xpath("meta[@property or @name]")}


def test_episode_topic_and_person_pages_carry_link_previews(site):
    tags = meta(page_of(site, "talks/003").head)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == "OpenLLM Talk 003"
    assert tags["og:description"].startswith("SuperCLUE-Open；文心盘古；chatlaw")
    assert tags["og:url"] == f"{SITE_URL}talks/003/"
    assert tags["og:locale"] == "zh_CN"
    assert tags["article:published_time"] == "2023-07-08T21:00:00+08:00"
    assert tags["twitter:card"] == "summary"  # no picture given
    for path, title, kind in (("topics/rope", "RoPE", "website"), ("people/xianyu", "羡鱼", "profile")):
        tags = meta(page_of(site, path).head)
        assert tags["og:url"] == f"{SITE_URL}{path}/"
        assert (tags["og:title"], tags["og:type"]) == (title, kind)
        assert tags["og:description"] and "<" not in tags["og:description"]
    # a topic is described by the newest places about it, as plain text: links show their address
    described = meta(page_of(site, "topics/rope").head)["og:description"].split("；")
    assert described[:2] == ["https://github.com/huggingface/transformers/pull/24653", "位置编码的多维度？"]


@pytest.fixture(scope="module")
def pictured(tmp_path_factory) -> Path:
    """The early episodes, 003 with a preview picture of its own and the series with a default one."""
    project = early_project(tmp_path_factory.mktemp("pictured") / "project")
    images = sorted((project / "talks" / "images").glob("*.png"))
    (project / "talks" / "003.yaml").write_text((project / "talks" / "003.yaml").read_text(encoding="utf-8")
                                                + f"image: images/{images[0].name}\n", encoding="utf-8")
    (project / "images").mkdir(exist_ok=True)
    (project / "images" / "cover.png").write_bytes(images[1].read_bytes())
    series = project / "series.yml"
    series.write_text(series.read_text(encoding="utf-8") + "image: images/cover.png\n", encoding="utf-8")
    build(project)
    return project


def test_a_preview_picture_is_the_episodes_own_or_the_series_and_served_by_the_site(pictured):
    site = pictured / "site"
    own = meta(page_of(site, "talks/003").head)
    assert own["twitter:card"] == "summary_large_image"
    for page, expected in (("talks/003", sorted((pictured / "talks" / "images").glob("*.png"))[0]),
                           ("talks/002", pictured / "images" / "cover.png")):
        image = meta(page_of(site, page).head)["og:image"]
        path, _ = local(image)
        assert (site / path).read_bytes() == expected.read_bytes(), image


@pytest.mark.parametrize("image, expected", [
    ("images/missing.png", "file not found: talks/images/missing.png"),
    ("images/notes.svg", "expected a PNG, JPEG, GIF or WebP picture for link previews"),
    ("../../outside.png", "points outside the project"),
])
def test_validate_refuses_a_preview_picture_it_cannot_serve(project, image, expected):
    episode = project / "talks" / "002.yaml"
    text = episode.read_text(encoding="utf-8")
    episode.write_text(text + f"image: {image}\n", encoding="utf-8")
    line = text.count("\n") + 1
    result = talkbase(project, "validate")
    assert result.returncode == 1
    assert f"talks/002.yaml:{line}:8: image: " in result.stdout and expected in result.stdout, result.stdout


# --- moments in the video ------------------------------------------------------------------

def with_moments(project: Path, length: str = "2:00:00") -> Path:
    """003 with moments on its second news item, its first question and a section of its own."""
    path = project / "talks" / "003.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('  start: "10:10"\n', f'  start: "10:10"\n  length: "{length}"\n', 1)
    lines = text.splitlines(keepends=True)
    # the second news item and the first question, at the indentation their keys are written with
    news = text[:text.index("news:")].count("\n")
    item = [i for i, ln in enumerate(lines) if re.match(r"\s+- title:", ln) and i > news][1]
    question = next(i for i, ln in enumerate(lines) if re.match(r"\s+- question:", ln))
    for at, value in sorted(((item, MOMENTS["news-2"]), (question, MOMENTS["q-1"])), reverse=True):
        indent = lines[at].index("-") + 2
        lines.insert(at + 1, " " * indent + f'at: "{value}"\n')
    text = "".join(lines) + (f"sections:\n  - id: organisation\n    title: 组织建设\n    body: 讨论了组织建设。\n"
                             f"    at: {MOMENTS['organisation']}\n")
    path.write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def timed(tmp_path_factory) -> Path:
    project = with_moments(early_project(tmp_path_factory.mktemp("timed") / "project"))
    build(project)
    return project / "site"


def seconds(clock: str | int) -> int:
    total = 0
    for part in str(clock).split(":"):
        total = total * 60 + int(part)
    return total


def t_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["t"][0])


def test_each_moment_links_to_the_video_there_and_the_chapter_list_is_in_time_order(timed):
    page = page_of(timed, "talks/003")
    for anchor, clock in MOMENTS.items():
        heading = page.get_element_by_id(anchor)
        link = heading.xpath(".//a[@class='tb-moment']")[0]  # in the heading: the table of contents shows it too
        assert t_of(link.get("href")) == seconds(clock), anchor
        assert link.get("href").startswith("https://www.bilibili.com/video/BV1Kh4y1E7nX/?share_source=copy_web&vd_source=")
    chapters = [(t_of(a.get("href")), a.getnext().get("href")) for a in page.xpath("//li/a[@class='tb-moment']")]
    assert chapters == [(610, "#record"), (seconds("25:30"), "#news-2"), (seconds("1:02:15"), "#q-1"),
                        (4000, "#organisation")]


def test_search_results_for_an_entry_show_its_moment(timed):
    bundle = timed / "search" / "talkbase"
    records = [r for part in sorted(bundle.glob("r*.bin")) for r in json.loads(gzip.decompress(part.read_bytes()))]
    titles = {url: title for url, title, *_ in records}  # [url, title, page, text] (search.py)
    assert titles["talks/003/#q-1"].endswith("▶ 1:02:15")
    assert titles["talks/003/#organisation"] == "组织建设 ▶ 1:06:40"


def test_the_chapter_files_give_the_same_moments_for_players_and_video_descriptions(timed):
    text = (timed / "talks" / "003.chapters.txt").read_text(encoding="utf-8").splitlines()
    assert text[0] == "00:00 开场前" and text[1] == "10:10 正片开始"  # YouTube wants the first at 00:00
    assert [line.split(" ", 1)[0] for line in text] == ["00:00", "10:10", "25:30", "1:02:15", "1:06:40"]
    assert text[4].endswith(" 组织建设")
    vtt = (timed / "talks" / "003.chapters.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    cues = re.findall(r"^\d+\n(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)$", vtt, re.M)
    assert len(cues) == 5
    starts = [seconds(c[0].split(".")[0]) for c in cues]
    assert starts == [0, 610, seconds("25:30"), seconds("1:02:15"), 4000]
    assert [seconds(c[1].split(".")[0]) for c in cues] == starts[1:] + [7200]  # the last runs to video.length
    assert all("<" not in title and "-->" not in title for _, _, title in cues)


@pytest.mark.parametrize("value, expected", [
    ('"2:00:01"', "2:00:01 is past the end of the video, which runs 2:00:00 (video.length)"),
    ('"1:75"', 'expected a time in the video as seconds, "MM:SS" or "H:MM:SS", found \'1:75\''),
    ('"soon"', 'expected a time in the video as seconds, "MM:SS" or "H:MM:SS", found \'soon\''),
])
def test_validate_refuses_a_moment_past_the_video_or_malformed_at_its_line(project, value, expected):
    with_moments(project)
    path = project / "talks" / "003.yaml"
    text = path.read_text(encoding="utf-8").replace(f'at: "{MOMENTS["q-1"]}"', f"at: {value}")
    path.write_text(text, encoding="utf-8")
    line = text[:text.index(f"at: {value}")].count("\n") + 1
    result = talkbase(project, "validate")
    assert result.returncode == 1
    assert re.search(rf"talks/003\.yaml:{line}:\d+: free_talk\.online\[1\]\.at: ", result.stdout), result.stdout
    assert expected in result.stdout


# --- last changed --------------------------------------------------------------------------

def git(cwd: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def changed_on(site: Path, page: str) -> str | None:
    found = page_of(site, page).xpath("//span[@class='tb-changed']/text()")
    return found[0] if found else None


def test_an_episode_page_shows_when_its_file_last_changed_in_git_and_nothing_outside_git(project, tmp_path):
    build(project)
    assert changed_on(project / "site", "talks/003") is None  # not a repository
    (project / ".gitignore").write_bytes((ROOT / ".gitignore").read_bytes())
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "all", when="2024-03-01T10:00:00+00:00")
    path = project / "talks" / "002.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    git(project, "commit", "-qam", "002 again", when="2024-05-20T23:30:00+00:00")  # 05-21 in Shanghai
    build(project)
    assert changed_on(project / "site", "talks/003") == "最后修改于 2024-03-01"
    assert changed_on(project / "site", "talks/002") == "最后修改于 2024-05-21"
    # a shallow clone would date every file at its one commit: it shows none, and still builds strictly
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{project}", str(clone))
    build(clone)
    assert changed_on(clone / "site", "talks/003") is None


# --- in a real browser (last: while its module-wide browser runs, builds in this process fork no helper) ---

def test_following_a_chapter_lands_on_the_entry_and_its_link_plays_from_that_moment(browser, timed):  # noqa: F811 - the fixture
    server = SiteServer(timed)
    page = browser.new_page()
    try:
        page.goto(server.url("talks/003/"))
        chapter = page.locator("li:has(a.tb-moment) a[href$='#q-1']")
        chapter.click()
        page.wait_for_function("location.hash === '#q-1'")
        assert page.evaluate("Math.abs(document.getElementById('q-1').getBoundingClientRect().top) < 200")
        link = page.locator("#q-1 a.tb-moment")
        assert link.is_visible()
        assert t_of(link.get_attribute("href")) == seconds(MOMENTS["q-1"])
        assert link.inner_text().strip() == "▶ 1:02:15"
        page.locator("li:has(a.tb-moment) a[href$='#record']").click()
        page.wait_for_function("location.hash === '#record'")
        video = page.locator("#record ~ ul a[href*='bilibili.com/video']").first
        assert t_of(video.get_attribute("href")) == 610
    finally:
        page.close()
        server.close()
