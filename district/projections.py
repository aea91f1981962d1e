"""What a newly stored event means beyond the events table: the ledger and overdrafts, help requests, stock.

Ingest calls the projector for each event it stores for the first time, in
the same transaction as the event itself: so each one is applied once, and a
crash keeps both or neither. Types it does not know it leaves alone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from .help import track
from .points import ledger, overdraft
from .shop import stock
from .settings import BalanceSettings

log = logging.getLogger("district.projections")


class Projector:
    """Applies one new event of a station to the district's read models."""

    def __init__(self, balances: BalanceSettings = BalanceSettings(10, "allow", 300)) -> None:
        self.balances = balances

    def __call__(self, conn: Connection, station: str, event: dict[str, Any], now: datetime) -> bool:
        """Apply the event; True when it changed what the district sends back (balances: the rosters)."""
        if event["type"] == "points.entry":
            return self._points(conn, station, event, now)
        track.apply(conn, station, event, now) or stock.apply(conn, station, event, now)
        return False

    def _points(self, conn: Connection, station: str, event: dict[str, Any], now: datetime) -> bool:
        recorded = ledger.record_station_entry(conn, station, event, now)
        if recorded is None:
            return False
        found = overdraft.check(conn, recorded, self.balances.overdraft, now)
        if found:
            log.warning("%s: member %s overdrawn by %d (district balance %d); rule %s", station, found.member_id,
                        found.deficit, found.balance, found.rule)
        return True           # even a seed the district does not count: the next roster's as_of_seq passes it
