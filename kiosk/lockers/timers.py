"""The lockers' timed checks: doors that never opened, doors left open, loans past due.

They run inside the state machine's lock, from its `tick` (kiosk/lockers/machine.py).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta

from ..base import outbox, store
from ..base.clock import parse_time, rfc3339
from . import loans
from .slots import Slots, SlotState

log = logging.getLogger(__name__)


def expire(slots: Slots, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime, *,
           force: bool = False) -> None:
    """A door that did not open in time: nothing recorded but a failure; too many make a fault."""
    op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
    limit = timedelta(seconds=slots.rules["open_timeout_seconds"])
    if op is None:
        return
    left = limit - (now - parse_time(op["started_at"]))
    if not force and left > timedelta(0):
        slots.schedule(left.total_seconds() + 0.05)     # e.g. after a restart: look again when it is due
        return
    failures = row["failures"] + 1
    faulted = failures >= slots.rules["fault_after"]
    with store.transaction(conn):
        conn.execute("UPDATE locker_ops SET finished_at = ?, outcome = 'not_opened' WHERE id = ?",
                     (rfc3339(now), op["id"]))
        slots.set(conn, row["id"], now, state=SlotState.FAULT.value if faulted else op["back_to"], op_id=None,
                     failures=failures)
        if faulted and op["back_to"] != "fault":
            outbox.append(conn, "locker.fault", {"slot": row["id"], "failures": failures,
                                                 "reason": "door_not_opened"}, ts=rfc3339(now))
    log.warning("slot %s: door did not open (%d in a row)%s", row["id"], failures, "; now fault" if faulted else "")
    slots.publish("locker", slot=row["id"], op_id=op["id"], phase="not_opened", fault=faulted)


def watch_doors(slots: Slots, conn: sqlite3.Connection, now: datetime) -> None:
    """Notice doors open without an event, and raise the alarm for a door left open too long."""
    limit = timedelta(seconds=slots.rules["door_alarm_seconds"])
    for row in slots.configured_rows(conn):
        door = slots.door(row["id"])
        since = row["door_open_since"]
        with store.transaction(conn):
            if door == "open" and since is None:
                slots.set(conn, row["id"], now, door_open_since=rfc3339(now))
            elif door == "closed" and since is not None and row["state"] != "open":
                slots.set(conn, row["id"], now, door_open_since=None, alarm=0)
            elif door == "open" and not row["alarm"] and now - parse_time(since) >= limit:
                slots.set(conn, row["id"], now, alarm=1)
                log.warning("slot %s: door left open", row["id"])
                slots.publish("locker", slot=row["id"], phase="left_open")


def overdue(slots: Slots, conn: sqlite3.Connection, now: datetime) -> None:
    """Loans past due: `loan.overdue` once each; an overdue phone alerts staff."""
    for loan in loans.open_loans(conn):
        if loan.overdue_at is None and now >= loan.due:
            with store.transaction(conn):
                reported = loans.mark_overdue(conn, loan, now=now, points=slots.rules["overdue_points"])
            if reported:
                slots.publish("locker", slot=loan.slot_id, phase="overdue", loan_kind=loan.kind)
