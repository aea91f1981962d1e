"""Time as the station records it: aware UTC moments, written as fixed-width RFC 3339.

Rules that depend on the time (days, opening hours, delays) take a `Clock`
so tests can fix the moment.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Callable

Clock = Callable[[], datetime]


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
