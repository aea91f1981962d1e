"""Opening hours that follow the calendar: periods per weekday, and exceptions by date.

Stations are open every day of the year with staggered hours (错时延时服务):
evenings and weekends for working residents, holidays with hours of their
own. `[queue]` (the station) and each `[[services]]` may say:

    hours = ["08:30-12:00", "14:30-18:00"]     # every day (what older files say)
    [queue.week]                               # per weekday; a day left out keeps `hours`
    sat = ["09:00-12:00", "15:00-20:00"]
    sun = []                                   # closed
    [[queue.exceptions]]                       # by date: closed, other hours, or an extra session
    date = 2027-02-05
    until = 2027-02-07                         # optional, inclusive
    closed = true                              # or hours = [...] (instead) or extra = [...] (in addition)
    reason = { zh = "春节休息", en = "Spring Festival" }

The district's `config` document carries the same keys as JSON (dates as text).
Reading never looks at the clock: `passed` names the exceptions whose last day
is gone, so the district's document can be refused for them while the file
only warns (a station must still start after a holiday went by).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as dtime
from typing import Iterable

from .reader import Periods, Table, show

Localized = dict[str, str]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAY: Periods = ((dtime(0, 0), dtime.max),)     # the default: tickets at any hour
MAX_SPAN_DAYS = 366


@dataclass(frozen=True)
class SpecialDay:
    """An exception by date (a holiday, extended hours, an extra evening session), inclusive of both days."""
    key: str                         # where it was written, e.g. "queue.exceptions[0]"
    first: date
    last: date
    reason: Localized
    closed: bool = False
    hours: Periods | None = None     # instead of the day's periods (extended or shorter hours)
    extra: Periods = ()              # in addition to the day's periods (an extra session)

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Schedule:
    """When tickets may be taken. `week[i]` is Monday + i; None follows the station's (a service's)."""
    week: tuple[Periods | None, ...] = (None,) * 7
    special: tuple[SpecialDay, ...] = ()
    given: bool = False              # hours or week written in the config, not the always-open default

    def special_on(self, day: date) -> SpecialDay | None:
        return next((s for s in self.special if s.covers(day)), None)


def read_schedule(t: Table, *, default: Periods | None) -> Schedule:
    """`hours`, `week` and `exceptions` of one table; `default` fills days without periods (None: a service's
    days follow the station's)."""
    hours = t.periods("hours", None) if "hours" in t.data else None
    t.used.add("hours")
    every_day = hours if hours is not None else default
    days = _week(t.table("week"), every_day) if "week" in t.data else (every_day,) * 7
    special = _exceptions(t, days)
    given = hours is not None or "week" in t.data
    return Schedule(week=tuple(days), special=special, given=given)


def _week(t: Table, every_day: Periods | None) -> list[Periods | None]:
    for name in t.data:
        if name not in WEEKDAYS:
            t.used.add(name)
            t.problems.add(t.key(name), f"is not a weekday, expected one of {', '.join(WEEKDAYS)}")
    days = [t.periods(name, every_day, allow_empty=True) if name in t.data else every_day for name in WEEKDAYS]
    t.done()
    return days


def _exceptions(t: Table, week: list[Periods | None]) -> tuple[SpecialDay, ...]:
    found: list[SpecialDay] = []
    for e in t.tables("exceptions"):
        special = _exception(e, week)
        e.done()
        if special is None:
            continue
        clash = next((s for s in found if s.first <= special.last and special.first <= s.last), None)
        if clash:
            e.problems.add(e.key("date"), f"found {special.first}, expected a date no other exception covers "
                           f"({clash.key} covers {clash.first} to {clash.last})")
            continue
        found.append(special)
    return tuple(sorted(found, key=lambda s: s.first))


def _exception(e: Table, week: list[Periods | None]) -> SpecialDay | None:
    first = e.day("date")
    last = e.day("until", first)
    reason = e.localized("reason")
    kinds = [k for k in ("closed", "hours", "extra") if k in e.data]
    closed = e.flag("closed", False)
    hours = e.periods("hours", None, allow_empty=True) if "hours" in e.data else None
    extra = e.periods("extra", ()) if "extra" in e.data else ()
    e.used.update(("hours", "extra"))
    if len(kinds) != 1 or ("closed" in e.data and not closed):
        e.problems.add(e.where, "expected exactly one of closed = true, hours = [...] (instead of the day's) "
                       "or extra = [...] (in addition to the day's), found "
                       + (", ".join(kinds) if kinds else "none"))
        return None
    if first is None or last is None or not reason:
        return None
    if last < first:
        e.problems.add(e.key("until"), f"found {last}, expected a date on or after date {first}")
        return None
    if (last - first).days >= MAX_SPAN_DAYS:
        e.problems.add(e.key("until"), f"found {last}, expected at most {MAX_SPAN_DAYS} days from date {first}")
        return None
    special = SpecialDay(e.where, first, last, reason, closed, hours, extra)
    _check_extra(e, special, week)
    return special


def _check_extra(e: Table, special: SpecialDay, week: list[Periods | None]) -> None:
    """An extra session must not overlap the hours of the days it is added to (where they are known here)."""
    day = special.first
    while special.extra and day <= min(special.last, special.first + timedelta(days=6)):
        usual = week[day.weekday()] or ()
        for start, end in special.extra:
            hit = next(((a, b) for a, b in usual if start < b and a < end), None)
            if hit:
                e.problems.add(e.key("extra"), f"found {show(period_text(start, end))} overlapping "
                               f"{show(period_text(*hit))} of {WEEKDAYS[day.weekday()]}, expected an extra session "
                               "outside the day's hours (hours = [...] replaces them instead)")
                return
        day += timedelta(days=1)


def passed(schedules: Iterable[Schedule], today: date) -> list[str]:
    """The exceptions whose last day is before `today`, each as 'key: found …, expected …'."""
    return [f"{s.key}.{'until' if s.last != s.first else 'date'}: found {s.last}, expected a date from today "
            f"({today}) on: this exception has passed" for schedule in schedules for s in schedule.special
            if s.last < today]


def clock_text(moment: dtime) -> str:
    """A time of day as people read it: 8:30, 18:00, and 24:00 for the end of the day."""
    if moment.hour == 23 and moment.minute == 59 and moment.second == 59:
        return "24:00"
    return f"{moment.hour}:{moment.minute:02d}"


def period_text(start: dtime, end: dtime) -> str:
    """"08:30-12:00" as written in the config."""
    return f"{start:%H:%M}-" + ("24:00" if clock_text(end) == "24:00" else f"{end:%H:%M}")
