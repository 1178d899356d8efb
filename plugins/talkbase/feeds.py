"""An Atom feed of episodes and an iCalendar file of upcoming sessions, for feed readers and calendar apps."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree as ET

import icalendar

from talkbase.render import Renderer

ATOM = "http://www.w3.org/2005/Atom"
UPCOMING_WEEKS = 8
# What neither XML 1.0 nor iCalendar text may hold: control characters (but tab and line feed) and non-characters.
# Validation refuses them in every text already; the writers drop any that still arrive, so their files stay well-formed.
_UNPRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub("", text)


def atom(r: Renderer, site_url: str) -> str:
    """Newest 50 dated episodes; undated ones have no `updated` time and cannot be feed entries. ElementTree
    escapes & < > and quotes; what XML cannot hold at all is dropped."""
    base = site_url.rstrip("/") + "/"
    dated = [(r.start_of(s.episode), s) for s in r.newest_first if s.episode.date]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": r.series.language})
    ET.SubElement(feed, f"{{{ATOM}}}title").text = _printable(r.series.name)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = base
    ET.SubElement(feed, f"{{{ATOM}}}link", {"href": base})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": base + "feed.xml"})
    updated = max((start for start, _ in dated), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = _printable(r.series.name)
    for start, src in dated[:50]:
        e = src.episode
        url = f"{base}talks/{e.slug}/"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = _printable(r.title_of(e))
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": url})
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = start.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = _printable(r.summary_of(e) or r.title_of(e))
        for topic in e.summary:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": _printable(topic)})
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def calendar(r: Renderer, site_url: str) -> bytes:
    """The next regular sessions from the schedule, plus any episode already planned for a future date. icalendar
    escapes and folds the lines (RFC 5545: at most 75 octets, never inside a character)."""
    now = r.now()
    host = site_url.split("//", 1)[-1].split("/", 1)[0] or "talkbase"
    events: dict[str, tuple[dt.datetime, str, str, str]] = {}
    upcoming = r.next_session()
    regular = [upcoming + dt.timedelta(weeks=i) for i in range(UPCOMING_WEEKS)]
    for start in regular:
        events[f"{start:%Y%m%d}"] = (start, r.series.name, r.schedule_line(), "")
    for src in r.project.sources:
        start = r.start_of(src.episode)
        if start and start > now:
            url = f"{site_url.rstrip('/')}/talks/{src.episode.slug}/" if site_url else ""
            events[f"{start:%Y%m%d}"] = (start, r.title_of(src.episode), r.summary_of(src.episode), url)
    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", f"-//talkbase//{_printable(r.series.name)}//{r.series.language.upper()}")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", icalendar.vText(_printable(r.series.name)))  # an X- property is text only when told
    cal.add("x-wr-timezone", r.series.schedule.timezone)
    stamp = dt.datetime.combine(now.astimezone(dt.timezone.utc).date(), dt.time(), dt.timezone.utc)
    for key, (start, title, description, url) in sorted(events.items()):
        slot = r.slot_for(start.date())
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
