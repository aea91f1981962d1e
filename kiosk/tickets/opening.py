"""When a service takes tickets: its day by the calendar, whether it is open now, and when it opens next.

Pure functions of the schedule (kiosk/config/schedule.py), a moment and the
station's time zone, so a fixed clock can walk a week and a holiday. How a
service's day is made:

- the weekday's periods: the service's own, or else the station's;
- an exception of the service for that day applies (closed, other hours, an extra session);
- a service that follows the station's week that day takes the station's exception with it;
- on a day the station has an exception, no service is open outside the station's hours
  (a holiday closes every service; "mornings only" shortens a service with hours of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from typing import Any, Iterator

from ..base.clock import rfc3339
from ..config.offer import Service
from ..config.reader import Periods
from ..config.schedule import Schedule, SpecialDay, clock_text, period_text
from .ticket import QueueError

HORIZON_DAYS = 400           # a service closed for longer than this has no next opening
WEEK_DAYS = 7


@dataclass(frozen=True)
class Day:
    """One calendar day of a service: its periods (empty: closed) and the exception that made it so."""
    day: date
    periods: Periods
    special: SpecialDay | None = None

    @property
    def closed(self) -> bool:
        return not self.periods


class Hours:
    """The opening hours of the station (`service=None`) or of one service, in the station's time zone."""

    def __init__(self, station: Schedule, zone: tzinfo, service: Schedule | None = None) -> None:
        self.station = station
        self.service = service
        self.zone = zone

    def day(self, day: date) -> Day:
        """The periods of one local calendar day, exceptions applied."""
        weekday = day.weekday()
        station_special = self.station.special_on(day)
        station_day = self.station.week[weekday] or ()
        if station_special:
            station_day = _apply(station_special, station_day)
        own = self.service.week[weekday] if self.service else None
        service_special = self.service.special_on(day) if self.service else None
        if own is None and service_special is None:
            return Day(day, station_day, station_special)
        periods = own if own is not None else self.station.week[weekday] or ()
        if service_special:
            periods = _apply(service_special, periods)
        if station_special:          # that day the station's hours bound every service's
            periods = _within(periods, station_day)
        return Day(day, periods, service_special or station_special)

    def week(self, start: date, days: int = WEEK_DAYS) -> list[Day]:
        return [self.day(start + timedelta(days=n)) for n in range(days)]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        day = self.local(moment).date()
        return any(self.at(day, start) <= moment < self.at(day, end) for start, end in self.day(day).periods)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The start of the first period after `moment` (None: nothing within HORIZON_DAYS)."""
        return next((start for start, _end in self._stretches(moment) if start > moment), None)

    def open_until(self, moment: datetime) -> datetime | None:
        """When the open stretch around `moment` ends (None: closed now); periods that touch, also over
        midnight, are one stretch."""
        return next((end for start, end in self._stretches(moment, WEEK_DAYS + 1) if start <= moment < end), None)

    def _stretches(self, moment: datetime, days: int = HORIZON_DAYS) -> Iterator[tuple[datetime, datetime]]:
        """Open stretches (start, end) from the day of `moment` on for `days`, touching periods joined, in time
        order (a stretch still open at the end ends there)."""
        today = self.local(moment).date()
        current: tuple[datetime, datetime] | None = None
        for n in range(days):
            day = today + timedelta(days=n)
            for start, end in self.day(day).periods:
                a, b = self.at(day, start), self.at(day, end)
                if current and a <= current[1]:
                    current = (current[0], max(b, current[1]))
                    continue
                if current:
                    yield current
                current = (a, b)
        if current:
            yield current

    def at(self, day: date, clock: dtime) -> datetime:
        """An aware moment of a local day; the end of the day (24:00) is the next midnight."""
        if clock == dtime.max:
            return datetime.combine(day + timedelta(days=1), dtime(0, 0), tzinfo=self.zone)
        return datetime.combine(day, clock, tzinfo=self.zone)


def _within(periods: Periods, bounds: Periods) -> Periods:
    """The parts of `periods` inside `bounds`."""
    return tuple((max(a, c), min(b, d)) for a, b in periods for c, d in bounds if max(a, c) < min(b, d))


def _apply(special: SpecialDay, base: Periods) -> Periods:
    if special.closed:
        return ()
    if special.hours is not None:
        return special.hours
    merged: list[tuple[dtime, dtime]] = []
    for start, end in sorted(base + special.extra):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def opening_details(hours: Hours, now: datetime) -> dict[str, Any]:
    """When a closed service opens next, in the figures a screen words ("今天 18:30", "明天 8:30", a weekday,
    a date), and why today is different when an exception says so."""
    local_now = hours.local(now)
    today = hours.day(local_now.date())
    opening = hours.next_opening(now)
    details: dict[str, Any] = {"opens_at": None, "reason": today.special.reason if today.special else None,
                               "closed_today": today.closed}
    if opening is not None:
        local = hours.local(opening)
        details.update(opens_at=rfc3339(opening), opens_date=local.date().isoformat(),
                       opens_time=clock_text(local.time()), opens_weekday=local.isoweekday(),
                       opens_in_days=(local.date() - local_now.date()).days)
    return details


def closed(service: Service, hours: Hours, now: datetime) -> QueueError:
    """The refusal of a ticket outside the hours, naming the next opening (in `details` for the screens)."""
    details = opening_details(hours, now)
    today = hours.day(hours.local(now).date())
    periods = ", ".join(period_text(a, b) for a, b in today.periods) or "closed"
    opening = hours.next_opening(now)
    when = f"{hours.local(opening):%Y-%m-%d %H:%M}" if opening else "not within a year"
    return QueueError("closed", f"{service.id} takes no tickets now (today: {periods}); it opens next "
                      f"{when} ({hours.zone})", service=service.id, **details)


@dataclass(frozen=True)
class Outlook:
    """The hours as the guide and idle screens show them: today, now, the next opening, the week ahead."""
    today: Day
    open_until: datetime | None        # open now: when this stretch ends
    opens: dict[str, Any] | None       # closed now: the next opening (opening_details)
    week: list[Day]                    # today and the six days after it


def outlook(hours: Hours, now: datetime) -> Outlook:
    today = hours.local(now).date()
    until = hours.open_until(now)
    return Outlook(hours.day(today), until, None if until else opening_details(hours, now), hours.week(today))
