"""Alerts on the board: what district staff must act on, worked out from what the hub knows now.

A station offline longer than `alerts.offline_minutes` (or never seen that
long after it was added), paper out, a locker slot in fault, and events the
station has held unacknowledged longer than `alerts.backlog_minutes`. Each
alert says since when, in the hub's time. They are recomputed on every
look, so an alert clears itself when the cause goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .settings import AlertSettings

KINDS = ("offline", "paper_out", "locker_fault", "backlog")


@dataclass(frozen=True)
class Alert:
    station: str
    kind: str
    since: datetime
    detail: dict[str, Any]


def of_station(row: Any, now: datetime, limits: AlertSettings) -> list[Alert]:
    """The alerts of one board row (stations joined with health)."""
    found = []
    offline_since = row.online_changed_at or row.added_at
    if not row.online and now - offline_since >= timedelta(minutes=limits.offline_minutes):
        found.append(Alert(row.id, "offline", offline_since, {"never_seen": row.last_seen_at is None}))
    if row.printer == "paper_out":
        found.append(Alert(row.id, "paper_out", row.printer_since or row.received_at, {}))
    if row.locker_faults:
        slots = sorted(slot for slot, state in (row.lockers or {}).items() if state == "fault")
        found.append(Alert(row.id, "locker_fault", row.faults_since or row.received_at, {"slots": slots}))
    age = row.outbox_oldest_age_s
    if age is not None and age >= limits.backlog_minutes * 60:
        found.append(Alert(row.id, "backlog", row.received_at - timedelta(seconds=age),
                           {"depth": row.outbox_depth, "age_s": age}))
    return found
