"""Time as the station records it: aware UTC moments, written as fixed-width RFC 3339.

Rules that depend on the time (days, opening hours, delays) take a `Clock`
so tests can fix the moment.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond, fixed width: such texts sort in time order."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
