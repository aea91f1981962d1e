"""Time as the station records it: aware UTC moments, written as fixed-width RFC 3339.

Rules that depend on the time (days, opening hours, delays) take a `Clock`
so tests can fix the moment. What people read (screens and paper) is the
station's local time: `local_text` is the one place a stored instant becomes
words, so no screen or slip shows a UTC date as if it were local.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from typing import Callable
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

#: How a moment is shown: the forms screens and slips use.
STYLES = {
    "date": "%Y-%m-%d",            # 2026-11-04: a due date, a day in a history
    "time": "%H:%M",               # 08:05: today's redemptions, a clock
    "datetime": "%Y-%m-%d %H:%M",  # on paper: when a ticket was taken
    "day_time": "%m-%d %H:%M",     # a timeline of this week
    "seconds": "%Y-%m-%d %H:%M:%S",
}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond, fixed width: such texts sort in time order."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def now_rfc3339() -> str:
    """This moment as `rfc3339` writes it (the `ts` of events and messages)."""
    return rfc3339(utc_now())


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def local_day(moment: datetime, zone: tzinfo) -> str:
    """The station's calendar day of a moment ("2026-12-02"): numbers, visits and reports restart at local midnight."""
    return moment.astimezone(zone).date().isoformat()


@lru_cache(maxsize=16)
def zone_of(name: str) -> ZoneInfo:
    """The time zone named in `station.timezone` (validated when the config was read)."""
    return ZoneInfo(name)


def local_time(moment: datetime | str, zone: tzinfo | str) -> datetime:
    """A stored instant (an aware datetime or its RFC 3339 text) in the station's time zone."""
    if isinstance(moment, str):
        moment = parse_time(moment)
    if moment.tzinfo is None:
        raise ValueError(f"a stored instant must carry its offset, not {moment!r}")
    return moment.astimezone(zone_of(zone) if isinstance(zone, str) else zone)


def local_text(moment: datetime | str | None, zone: tzinfo | str, style: str = "datetime") -> str:
    """A stored instant as people read it at the station: local time, in one of `STYLES` ("" for none)."""
    if moment is None or moment == "":
        return ""
    return local_time(moment, zone).strftime(STYLES[style])
