"""When the series meets: its weekly slots in its time zone, an episode's start, the next session.

The home page, the calendar and `talkbase new` all ask; none of them needs pages rendered for it."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, get_args
from zoneinfo import ZoneInfo

from talkbase.schema import Episode, Slot, Weekday
from talkbase.schema import Schedule as Settings

WEEKDAYS = get_args(Weekday)  # Monday first, as datetime.weekday() counts


class Schedule:
    """A series' schedule (series.yml `schedule`), with its time zone looked up once."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.slots = sorted(settings.slots, key=lambda s: s.since)
        self.tz = ZoneInfo(settings.timezone)

    def now(self, fixed: dt.datetime | None = None) -> dt.datetime:
        """The time in the series' zone: `fixed` (tests, or never before the latest episode), else the clock."""
        return (fixed or dt.datetime.now(dt.timezone.utc)).astimezone(self.tz)

    def slot_for(self, day: dt.date) -> Slot:
        """The slot in force on `day` (the first one for days before the schedule began)."""
        current = self.slots[0]
        for slot in self.slots:
            if slot.since <= day:
                current = slot
        return current

    def start_of(self, episode: Episode) -> dt.datetime | None:
        """When an episode began: its date at its own time, or at the time of the slot in force that day."""
        if episode.date is None:
            return None
        hour, minute = map(int, (episode.time or self.slot_for(episode.date).time).split(":"))
        return dt.datetime.combine(episode.date, dt.time(hour, minute), self.tz)

    def sessions(self, after: dt.datetime, count: int) -> list[dt.datetime]:
        """The next `count` regular sessions after `after`, each at the slot in force on its day (a slot that
        begins on the way moves the sessions from then on)."""
        after = after.astimezone(self.tz)
        out: list[dt.datetime] = []
        day = after.date()
        while len(out) < count:  # a slot meets once a week: at most a week of days per session
            slot = self.slot_for(day)
            if WEEKDAYS[day.weekday()] == slot.weekday:
                hour, minute = map(int, slot.time.split(":"))
                start = dt.datetime.combine(day, dt.time(hour, minute), self.tz)
                if start > after:
                    out.append(start)
            day += dt.timedelta(days=1)
        return out

    def next_session(self, now: dt.datetime, episodes: Iterable[Episode] = ()) -> dt.datetime:
        """The next regular session after `now`, or an earlier one of `episodes` dated in the future."""
        regular = self.sessions(now, 1)[0]
        planned = [s for e in episodes if (s := self.start_of(e)) and s > now]
        return min([regular, *planned])
