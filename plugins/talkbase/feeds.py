"""An Atom feed of episodes and an iCalendar file of upcoming sessions, for feed readers and calendar apps."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from talkbase.render import Renderer

ATOM = "http://www.w3.org/2005/Atom"
UPCOMING_WEEKS = 8


def atom(r: Renderer, site_url: str) -> str:
    """Newest 50 dated episodes; undated ones have no `updated` time and cannot be feed entries."""
    base = site_url.rstrip("/") + "/"
    dated = [(r.start_of(s.episode), s) for s in r.newest_first if s.episode.date]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": r.series.language})
    ET.SubElement(feed, f"{{{ATOM}}}title").text = r.series.name
    ET.SubElement(feed, f"{{{ATOM}}}id").text = base
    ET.SubElement(feed, f"{{{ATOM}}}link", {"href": base})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": base + "feed.xml"})
    updated = max((start for start, _ in dated), default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = r.series.name
    for start, src in dated[:50]:
        e = src.episode
        url = f"{base}talks/{e.slug}/"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = r.title_of(e)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": url})
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = start.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = r.summary_of(e) or r.title_of(e)
        for topic in e.summary:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": topic})
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued with CRLF + space, never inside a character."""
    data = line.encode("utf-8")
    parts, start, limit = [], 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to the start of its character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74  # a continued line starts with a space
    parts.append(data[start:])
    return "\r\n ".join(part.decode("utf-8") for part in parts)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar(r: Renderer, site_url: str) -> str:
    """The next regular sessions from the schedule, plus any episode already planned for a future date."""
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
    stamp = _utc(dt.datetime.combine(now.astimezone(dt.timezone.utc).date(), dt.time(), dt.timezone.utc))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//talkbase//{_escape(r.series.name)}//{r.series.language.upper()}",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(r.series.name)}",
             f"X-WR-TIMEZONE:{r.series.schedule.timezone}"]
    for key, (start, title, description, url) in sorted(events.items()):
        slot = r.slot_for(start.date())
        lines += ["BEGIN:VEVENT", f"UID:{key}@{host}", f"DTSTAMP:{stamp}", f"DTSTART:{_utc(start)}",
                  f"DTEND:{_utc(start + dt.timedelta(minutes=slot.duration_minutes))}",
                  f"SUMMARY:{_escape(title)}", f"DESCRIPTION:{_escape(description)}"]
        lines += [f"URL:{url}"] if url else []
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
