"""Files for other programs: feeds of episodes and of what a topic or person was in (Atom and JSON Feed), an
iCalendar file of upcoming sessions, and the chapters of a talk video (WebVTT, and the `mm:ss title` lines
that bilibili and YouTube descriptions turn into chapters)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import icalendar

from talkbase import index, slugs
from talkbase.render import Renderer, plain

ATOM = "http://www.w3.org/2005/Atom"
UPCOMING_WEEKS = 8
# What neither XML 1.0 nor iCalendar text may hold: control characters (but tab and line feed) and non-characters.
# Validation refuses them in every text already; the writers drop any that still arrive, so their files stay
# well-formed.
_UNPRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub("", text)


FEED_LIMIT = 50  # entries of a feed: what a reader subscribing now gets, the newest


@dataclass
class Feed:
    """A feed as both formats write it: its title, its page and its files (docs/ paths), the entries newest first."""

    title: str
    page: str  # the docs/ path of the page it follows: index.md, topics/rope.md
    atom: str
    json: str
    entries: list[tuple[dt.datetime, str, str, str, list[str]]]  # (updated, target, title, summary, categories)


def feeds(r: Renderer) -> list[Feed]:
    """The site's feed of episodes, and one for each topic and each person, of the places about them."""
    name = r.series.name
    out = [Feed(name, "index.md", "feed.xml", "feed.json",
                [(start, slugs.page("talks", s.episode.slug), r.title_of(s.episode), r.summary_of(s.episode) or
                  r.title_of(s.episode), list(s.episode.summary))
                 for s in r.newest_first if (start := r.start_of(s.episode))])]
    k = r.knowledge
    for topic in k.topics.values():
        out.append(_about(r, r.follow_title(topic.name), "topics", topic.slug, topic.refs, topic.episodes))
    for person in k.people.values():
        out.append(_about(r, r.follow_title(r.person_name(person.pid)), "people", person.pid, person.refs, []))
    return out


def _about(r: Renderer, title: str, folder: str, name: str, refs: list[index.Ref], episodes: list) -> Feed:
    """The feed of one topic or person: each place about them (an entry at its anchor, or an episode that is about
    them as a whole) once, newest first; an episode without a date has no time to be a feed entry at."""
    entries, seen = [], set()
    places = [(ref.source, ref.target, r.ref_title(ref)) for ref in refs]
    placed = {ref.source.episode.slug for ref in refs}
    places += [(src, slugs.page("talks", src.episode.slug), "") for src in episodes if src.episode.slug not in placed]
    for src, target, what in places:
        start = r.start_of(src.episode)
        if start is None or target in seen:
            continue
        seen.add(target)
        episode = r.title_of(src.episode)
        entries.append((start, target, f"{what} · {episode}" if what else episode, r.summary_of(src.episode) or episode,
                        list(src.episode.summary)))
    entries.sort(key=lambda e: e[0], reverse=True)
    return Feed(title, slugs.page(folder, name), *r.feed_files(folder, name), entries)


def _address(base: str, target: str) -> str:
    """The absolute address of a docs/ path (with its anchor), as MkDocs serves it: talks/003.md -> talks/003/."""
    path, _, anchor = target.partition("#")
    folder, _, stem = path.removesuffix(".md").rpartition("/")
    page = (f"{folder}/" if folder else "") if stem == "index" else f"{path.removesuffix('.md')}/"
    return base + page + (f"#{anchor}" if anchor else "")


def atom(r: Renderer, feed: Feed, site_url: str) -> str:
    """An Atom feed (RFC 4287). ElementTree escapes & < > and quotes; what XML cannot hold at all is dropped."""
    base = site_url.rstrip("/") + "/"
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": r.series.language})
    ET.SubElement(root, f"{{{ATOM}}}title").text = _printable(feed.title)
    ET.SubElement(root, f"{{{ATOM}}}id").text = _address(base, feed.page)  # the site's feed: its address, as ever
    ET.SubElement(root, f"{{{ATOM}}}link", {"href": _address(base, feed.page)})
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": base + feed.atom})
    updated = max((e[0] for e in feed.entries), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(ET.SubElement(root, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = _printable(r.series.name)
    for start, target, title, summary, categories in feed.entries[:FEED_LIMIT]:
        url = _address(base, target)
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _printable(plain(title))
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": url})
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = start.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = _printable(plain(summary))
        for topic in categories:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": _printable(topic)})
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def json_feed(r: Renderer, feed: Feed, site_url: str) -> str:
    """The same feed as JSON Feed 1.1 (jsonfeed.org/version/1.1): json.dumps escapes what JSON must."""
    base = site_url.rstrip("/") + "/"
    items = [{"id": _address(base, target), "url": _address(base, target), "title": plain(title),
              "content_text": plain(summary), "date_published": start.isoformat(),
              **({"tags": categories} if categories else {})}
             for start, target, title, summary, categories in feed.entries[:FEED_LIMIT]]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": feed.title,
           "home_page_url": _address(base, feed.page), "feed_url": base + feed.json, "language": r.series.language,
           "authors": [{"name": r.series.name}], "items": items}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def calendar(r: Renderer, site_url: str) -> bytes:
    """The next regular sessions from the schedule, plus any episode already planned for a future date. icalendar
    escapes and folds the lines (RFC 5545: at most 75 octets, never inside a character)."""
    now = r.now()
    host = site_url.split("//", 1)[-1].split("/", 1)[0] or "talkbase"
    events: dict[str, tuple[dt.datetime, str, str, str]] = {}
    line = r.schedule_line()
    for start in r.schedule.sessions(now, UPCOMING_WEEKS):
        events[f"{start:%Y%m%d}"] = (start, r.series.name, line, "")
    for src in r.project.sources:
        began = r.start_of(src.episode)
        if began and began > now:
            url = f"{site_url.rstrip('/')}/talks/{src.episode.slug}/" if site_url else ""
            events[f"{began:%Y%m%d}"] = (began, r.title_of(src.episode), r.summary_of(src.episode), url)
    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", f"-//talkbase//{_printable(r.series.name)}//{r.series.language.upper()}")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", icalendar.vText(_printable(r.series.name)))  # an X- property is text only when told
    cal.add("x-wr-timezone", r.series.schedule.timezone)
    stamp = dt.datetime.combine(now.astimezone(dt.timezone.utc).date(), dt.time(), dt.timezone.utc)
    for key, (start, title, description, url) in sorted(events.items()):
        slot = r.schedule.slot_for(start.date())
        event = icalendar.Event()
        event.add("uid", f"{key}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start.astimezone(dt.timezone.utc))
        event.add("dtend", (start + dt.timedelta(minutes=slot.duration_minutes)).astimezone(dt.timezone.utc))
        event.add("summary", _printable(title))
        event.add("description", _printable(description))
        if url:
            event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()


def _clock(seconds: int, fraction: bool = False) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000" if fraction else \
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def _with_opening(r: Renderer, chapters: list[dict]) -> list[tuple[int, str]]:
    """(seconds, plain title) of each chapter; YouTube takes a list as chapters only if it begins at 00:00."""
    out = [(c["at"], _printable(plain(c["title"]))) for c in chapters]
    return out if out[0][0] == 0 else [(0, r.labels["chapter_before"]), *out]


def chapter_lines(r: Renderer, chapters: list[dict]) -> str:
    """`00:00 title` lines, as bilibili and YouTube read chapters from a video's description."""
    return "".join(f"{_clock(at)} {title}\n" for at, title in _with_opening(r, chapters))


WEBVTT_LAST = 3600  # how long the last chapter runs when the video's length is not given


def webvtt(r: Renderer, chapters: list[dict], length: int | None) -> str:
    """WebVTT chapters: each cue runs to the next one, the last to the end of the video. Cue text escapes & < >
    (so no `-->` can end a cue early) and stays on one line (a blank line would end it)."""
    moments = _with_opening(r, chapters)
    last_at = moments[-1][0]
    ends = [at for at, _ in moments[1:]] + [length if length and length > last_at else last_at + WEBVTT_LAST]
    cues = [f"{i}\n{_clock(at, True)} --> {_clock(end, True)}\n{html.escape(title, quote=False)}\n"
            for i, ((at, title), end) in enumerate(zip(moments, ends), 1)]
    return "WEBVTT\n\n" + "\n".join(cues)
