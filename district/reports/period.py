"""A report's range: local calendar days from `start` to `end` (both included), cut into days, weeks or months.

The district's own time zone decides where a day begins (`district.timezone`);
a week begins on Monday, a month on its first. A range that is missing, not
a date, reversed or longer than the unit allows is refused, so a report is
never silently empty or cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import Refused

UNITS = ("day", "week", "month")
MAX_BUCKETS = {"day": 92, "week": 106, "month": 60}


@dataclass(frozen=True)
class Bucket:
    key: date            # its first day
    label: str           # as the tables and charts show it
    start: datetime      # aware, the first moment
    end: datetime        # aware, the first moment after it


@dataclass(frozen=True)
class Period:
    start: date
    end: date            # included
    unit: str
    zone: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), self.zone)

    def key(self, moment: datetime) -> date:
        """The first day of the bucket a moment falls in."""
        return first_day(moment.astimezone(self.zone).date(), self.unit)

    def buckets(self) -> list[Bucket]:
        found, day = [], first_day(self.start, self.unit)
        while day <= self.end:
            after = _next(day, self.unit)
            found.append(Bucket(day, _label(day, self.unit), datetime.combine(max(day, self.start), time(), self.zone),
                                datetime.combine(min(after, self.end + timedelta(days=1)), time(), self.zone)))
            day = after
        return found


def first_day(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _label(day: date, unit: str) -> str:
    if unit == "month":
        return day.strftime("%Y-%m")
    if unit == "week":
        return f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
    return day.isoformat()


def parse(start: str, end: str, unit: str, zone: ZoneInfo) -> Period:
    """The period the console asked for; Refused when it is empty, not dates, reversed or too long."""
    if not (start or "").strip() or not (end or "").strip():
        raise Refused("a report needs a first and a last day", code="empty_range")
    try:
        first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise Refused(f"{start!r} to {end!r} are not dates (YYYY-MM-DD)", code="bad_range", start=start,
                      end=end) from None
    if last < first:
        raise Refused(f"the range ends ({last}) before it begins ({first})", code="reversed_range",
                      start=first.isoformat(), end=last.isoformat())
    if unit not in UNITS:
        raise Refused(f"a report is by day, week or month, not {unit!r}", code="bad_unit", unit=unit)
    period = Period(first, last, unit, zone)
    if len(period.buckets()) > MAX_BUCKETS[unit]:
        raise Refused(f"at most {MAX_BUCKETS[unit]} {unit}s in one report", code="range_too_long",
                      max=MAX_BUCKETS[unit], unit=unit)
    return period


def month(text: str, zone: ZoneInfo) -> Period:
    """A calendar month ("2026-12") by day, for the printable page."""
    try:
        first = date.fromisoformat(f"{text.strip()}-01")
    except (ValueError, AttributeError):
        raise Refused(f"{text!r} is not a month (YYYY-MM)", code="bad_month", month=str(text)) from None
    return Period(first, _next(first, "month") - timedelta(days=1), "day", zone)
