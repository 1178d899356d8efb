"""The schedule on its own (schedule.py): regular sessions follow the slot in force on their day, and a
planned episode comes first only when it is sooner; the calendar lists what the schedule gives."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from talkbase import feeds
from talkbase.project import Layout
from talkbase.render import Renderer, SiteOptions
from talkbase.schedule import Schedule
from talkbase.schema import Episode
from talkbase.schema import Schedule as Settings
from talkbase.speed.loading import load_project

SHANGHAI = ZoneInfo("Asia/Shanghai")
SETTINGS = Settings.model_validate({"timezone": "Asia/Shanghai", "slots": [
    {"since": "2023-06-10", "weekday": "saturday", "time": "21:00"},
    {"since": "2023-09-01", "weekday": "friday", "time": "20:00"}]})


def test_sessions_follow_the_slot_in_force_on_their_day():
    schedule = Schedule(SETTINGS)
    after = dt.datetime(2023, 8, 19, 21, 0, tzinfo=SHANGHAI)  # a session is starting: the next one is later
    got = schedule.sessions(after, 4)
    assert [(s.date().isoformat(), s.strftime("%a %H:%M")) for s in got] == [
        ("2023-08-26", "Sat 21:00"), ("2023-09-01", "Fri 20:00"), ("2023-09-08", "Fri 20:00"),
        ("2023-09-15", "Fri 20:00")]
    assert all(s.tzinfo is not None and s.utcoffset() == dt.timedelta(hours=8) for s in got)


def test_a_planned_episode_is_next_only_when_it_is_sooner():
    schedule = Schedule(SETTINGS)
    now = dt.datetime(2023, 8, 21, 12, 0, tzinfo=dt.timezone.utc)
    special = Episode.model_validate({"special": "rlhf", "title": "番外", "date": "2023-08-23", "time": "19:30"})
    later = Episode.model_validate({"special": "later", "title": "番外", "date": "2023-09-30"})
    assert schedule.next_session(now, [later]) == dt.datetime(2023, 8, 26, 21, 0, tzinfo=SHANGHAI)
    assert schedule.next_session(now, [special, later]) == dt.datetime(2023, 8, 23, 19, 30, tzinfo=SHANGHAI)


def test_the_calendar_keeps_regular_sessions_on_their_weekday_beside_a_planned_special(project):
    """A special planned before the next regular session is its own event; the regular ones stay on the
    schedule's weekday (they once counted weeks from the special)."""
    (project / "talks" / "special-soon.yaml").write_text(
        "special: soon\ntitle: 临时加场\ndate: 2026-11-27\ntime: '22:00'\nafter: '003'\n", encoding="utf-8")
    loaded = load_project(Layout.at(project))
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)  # a Friday
    renderer = Renderer(loaded, SiteOptions(site_url="https://example.org/", now=now))
    events = icalendar.Calendar.from_ical(feeds.calendar(renderer, "https://example.org/")).walk("VEVENT")
    starts = [e.decoded("dtstart").astimezone(renderer.tz) for e in events]
    assert dt.datetime(2026, 11, 27, 22, 0, tzinfo=renderer.tz) in starts
    regular = [s for s in starts if s.date() != dt.date(2026, 11, 27)]
    assert len(regular) == 8 and {s.strftime("%A") for s in regular} == {"Saturday"}
