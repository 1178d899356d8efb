"""The Atom feed and the calendar parse with real parsers and give back every text exactly, whatever it holds:
markup and quote characters, iCalendar's separators, emoji, Chinese lines long enough to be folded. A text that
slipped past validation with a control character in it still leaves both files well-formed (issue 17).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import feedparser
import icalendar
import lxml.etree
import pytest
import yaml
from conftest import ROOT, build, make_project

from talkbase import feeds
from talkbase.project import Layout, load_project
from talkbase.render import Renderer, SiteOptions

SITE = "https://openllm-talk.example.org/"
NAME = "A&B <Talk> \"quoted\" 'single'; semi, comma \\ back 😀"
TITLE = "R&D <b>bold</b> \"q\" 'a'; b, c \\ d 🚀"
LONG = "长上下文外推需要位置插值，" * 12  # 468 octets: folded into several lines
SUMMARY = ["x & y < z > w", "\"q\" 'a'; b, c \\ d", LONG, "emoji 😀🚀"]
NS = {"a": feeds.ATOM}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, dt.date]:
    """The bundled project with those texts in its name, a planned episode's title and its summary, built."""
    project = make_project(tmp_path_factory.mktemp("texts") / "project")
    series = project / "series.yml"
    named = series.read_text(encoding="utf-8").replace("name: OpenLLM Talk",
                                                       f"name: {json.dumps(NAME, ensure_ascii=False)}")
    series.write_text(named, encoding="utf-8")
    day = dt.date.today() + dt.timedelta(days=20)
    planned = {"number": 900, "date": day.isoformat(), "time": "20:00", "title": TITLE, "summary": SUMMARY}
    (project / "talks/900.yaml").write_text(json.dumps(planned, ensure_ascii=False), encoding="utf-8")
    return project, build(project, strict=False), day


def entry_of(feed: lxml.etree._Element) -> lxml.etree._Element:
    return next(e for e in feed.findall("a:entry", NS) if e.findtext("a:id", namespaces=NS) == f"{SITE}talks/900/")


def event_of(cal: icalendar.Calendar) -> icalendar.Event:
    return next(e for e in cal.walk("VEVENT") if str(e.get("URL", "")) == f"{SITE}talks/900/")


def lines_of(raw: bytes) -> list[bytes]:
    """The physical lines of an iCalendar file, checked for RFC 5545: CRLF only, at most 75 octets, never cut
    inside a character, a continued line starting with a space."""
    assert raw.endswith(b"\r\n") and b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw[:-2].split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # raises if a fold cut a character in two
    return lines


def unescaped(text: str) -> str:
    """RFC 5545 3.3.11: the escapes of a TEXT value."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


@pytest.fixture(scope="module")
def slipped(built) -> Renderer:
    """The same project with control characters put into its texts after validation, which refuses them: a writer
    that meets one drops it, as neither XML 1.0 nor iCalendar text may hold it (a raw one makes a feed unreadable,
    a bare CR breaks a calendar line)."""
    project = load_project(Layout.at(built[0]))
    project.series.name = f"{NAME}\x01\x1b\r\x85"
    episode = next(s.episode for s in project.sources if s.episode.number == 900)
    episode.title, episode.summary = f"{TITLE}\x0b\r", [f"{SUMMARY[0]}\x7f\x00", *SUMMARY[1:]]
    return Renderer(project, SiteOptions(site_url=SITE))


def test_the_feed_gives_back_every_text(built, slipped):
    raw = (built[1] / "feed.xml").read_bytes()
    written = feeds.atom(slipped, feeds.feeds(slipped)[0], SITE).encode("utf-8")
    for feed in (lxml.etree.fromstring(raw), lxml.etree.fromstring(written)):
        assert feed.findtext("a:title", namespaces=NS) == NAME
        assert feed.findtext("a:author/a:name", namespaces=NS) == NAME
        entry = entry_of(feed)
        assert entry.findtext("a:title", namespaces=NS) == f"{NAME} 900：{TITLE}"
        assert entry.findtext("a:summary", namespaces=NS) == "；".join(SUMMARY)
        assert [c.get("term") for c in entry.findall("a:category", NS)] == SUMMARY
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == NAME
    assert next(e for e in parsed.entries if e.link == f"{SITE}talks/900/").title == f"{NAME} 900：{TITLE}"


def test_the_calendar_gives_back_every_text_in_folded_lines(built, slipped):
    _, site, day = built
    raw = (site / "calendar.ics").read_bytes()
    assert sum(line.startswith(b" ") for line in lines_of(raw)) >= 6  # the long summary and title were folded
    cal = icalendar.Calendar.from_ical(raw)
    assert unescaped(str(cal["X-WR-CALNAME"])) == NAME  # icalendar reads an X- property back as it was written
    assert str(cal["PRODID"]) == f"-//talkbase//{NAME}//ZH"
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    start = dt.datetime.combine(day, dt.time(20), SHANGHAI)
    written = feeds.calendar(slipped, SITE)
    lines_of(written)
    for calendar in (cal, icalendar.Calendar.from_ical(written)):
        event = event_of(calendar)
        assert str(event["SUMMARY"]) == f"{NAME} 900：{TITLE}"
        assert str(event["DESCRIPTION"]) == "；".join(SUMMARY)
        assert event.decoded("DTSTART") == start and event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
        assert event.decoded("DTEND") == start + dt.timedelta(minutes=90)
        assert str(event["UID"]) == f"{day:%Y%m%d}@openllm-talk.example.org"
    regular = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == NAME]
    assert len(regular) >= 7 and all("节假日顺延" in str(e["DESCRIPTION"]) for e in regular)
    # a regular session starts at the time of the series.yml slot in force on its day
    slots = sorted(yaml.safe_load((ROOT / "series.yml").read_text(encoding="utf-8"))["schedule"]["slots"],
                   key=lambda s: s["since"])
    for start in (e.decoded("DTSTART").astimezone(SHANGHAI) for e in regular):
        assert f"{start:%H:%M}" == [s for s in slots if s["since"] <= start.date()][-1]["time"], start
