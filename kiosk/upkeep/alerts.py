"""Staff alerts: what staff must see on every staff screen and paired device until it is mended.

- the printer: paper low, paper out or offline (as the kiosk's device round last saw it);
- a locker slot in fault, and a door left open past `door_alarm_seconds` (the slot's alarm);
- loans past their due time and not back yet;
- help requests still waiting for the district's dispatch (state `open`) longer than
  `help.dispatch_alert_minutes` (30 by default): a request that old has been missed, so staff call the
  district or a member themselves.

Alerts are recomputed from the database on each look, never stored: mended is gone. `AlertWatch`
publishes an `alerts` notice when the set changes, so open staff screens refresh their banner at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from ..base.bus import Bus
from ..base.clock import parse_time, rfc3339
from ..lockers import loans
from ..lockers.machine import SlotView
from ..lockers.slots import SlotState

PRINTER_ALERTS = ("paper_low", "paper_out", "offline")
GROWING = ("oldest_minutes",)     # details that change with time alone


@dataclass(frozen=True)
class Alert:
    kind: str                         # printer | locker_fault | door_open | loan_overdue | help_waiting
    count: int = 1
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        """What makes two looks the same alert: a changed count, slot or printer state is news; the minutes a
        help request has waited grow by themselves and are not."""
        return (self.kind, self.count,
                tuple(sorted((k, str(v)) for k, v in self.detail.items() if k not in GROWING)))


def staff_alerts(conn: sqlite3.Connection, *, printer: str, slots: Iterable[SlotView], now: datetime,
                 help_after_minutes: int) -> list[Alert]:
    """Every alert now, the most urgent kind first."""
    found = []
    if printer in PRINTER_ALERTS:
        found.append(Alert("printer", detail={"state": printer}))
    views = list(slots)
    faults = sorted(v.id for v in views if v.state is SlotState.FAULT)
    if faults:
        found.append(Alert("locker_fault", len(faults), {"slots": ", ".join(faults)}))
    left_open = sorted(v.id for v in views if v.alarm)
    if left_open:
        found.append(Alert("door_open", len(left_open), {"slots": ", ".join(left_open)}))
    late = [loan for loan in loans.open_loans(conn) if now >= loan.due]
    if late:
        found.append(Alert("loan_overdue", len(late), {"slots": ", ".join(sorted({ln.slot_id for ln in late}))}))
    waiting = help_waiting(conn, now, help_after_minutes)
    if waiting:
        found.append(waiting)
    return found


def help_waiting(conn: sqlite3.Connection, now: datetime, after_minutes: int) -> Alert | None:
    """Help requests not dispatched within `after_minutes`: how many, and how long the oldest has waited."""
    count, oldest = conn.execute("SELECT COUNT(*), MIN(created_at) FROM help_requests WHERE state = 'open' "
                                 "AND created_at <= ?", (rfc3339(now - timedelta(minutes=after_minutes)),)
                                 ).fetchone()
    if not count:
        return None
    return Alert("help_waiting", count, {"oldest_minutes": int((now - parse_time(oldest)).total_seconds() // 60)})


class AlertWatch:
    """Tells open staff screens (an `alerts` notice) when the alerts change."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.last: frozenset = frozenset()

    def seen(self, alerts: list[Alert]) -> None:
        keys = frozenset(a.key for a in alerts)
        if keys != self.last:
            self.last = keys
            self.bus.publish("alerts", kinds=sorted(a.kind for a in alerts))
