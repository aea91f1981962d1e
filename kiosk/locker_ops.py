"""What a finished door operation means, and the lockers' timed checks.

Split from kiosk/lockers.py: these functions run inside the state machine's
lock (and, for `complete`, inside its transaction).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import loans, outbox, store
from .clock import parse_time, rfc3339

if TYPE_CHECKING:
    from .lockers import Lockers

log = logging.getLogger(__name__)
STOCK_REASONS = {"restock": 1, "empty": 0}    # staff reasons that say what an umbrella slot now holds


def complete(conn: sqlite3.Connection, rules: dict[str, Any], op: sqlite3.Row, slot: sqlite3.Row,
             item: bool | None, now: datetime) -> tuple[str, str, int, str | None]:
    """(outcome, new slot state, stocked, loan id) for an operation whose door opened and shut again.

    `item` is the item sensor (None: the slot has none, and the door is trusted).
    """
    kind, stocked = op["op"], slot["stocked"]
    if kind == "borrow":
        if item is True:
            return "nothing_taken", "free", 1, None
        loan = loans.start(conn, "umbrella", slot["id"], member_id=op["member_id"], hashed_card=None, now=now,
                           hours=rules["umbrella_due_hours"])
        return "done", "free", 0, loan.id
    if kind == "return":
        if item is False:
            return "nothing_left", "free", 0, None
        loan = loans.get(conn, op["loan_id"] or "") or loans.oldest_umbrella(conn)
        if loan is not None and loan.ended_at is None:
            loans.end(conn, loan, slot_id=slot["id"], by=op["by"], now=now)
        return "done", "free", 1, loan.id if loan else None
    if kind == "deposit":
        if item is False:
            return "nothing_left", "free", 0, None
        loan = loans.start(conn, "charging", slot["id"], member_id=op["member_id"], hashed_card=op["card_hash"],
                           now=now, hours=rules["charging_max_hours"])
        return "done", "in_use", 0, loan.id
    if kind == "collect":
        if item is True:
            return "still_inside", "in_use", 0, op["loan_id"]
        loan = loans.get(conn, op["loan_id"])
        if loan is not None:
            loans.end(conn, loan, slot_id=slot["id"], by=op["by"], now=now)
        return "done", "free", 0, op["loan_id"]
    # staff: the slot goes back to what it was; what it now holds follows the sensor or the reason
    back = op["back_to"] if op["back_to"] != "fault" else "free"
    if slot["purpose"] == "umbrella":
        stocked = int(item) if item is not None else STOCK_REASONS.get(op["reason"], stocked)
    loan = loans.in_slot(conn, slot["id"])
    if slot["purpose"] == "charging" and loan is not None and (op["reason"] == "hand_over" or item is False):
        loans.end(conn, loan, slot_id=slot["id"], by=op["by"], now=now)
        back = "free"
    elif slot["purpose"] == "charging" and loan is None:
        back = "free"
    return "done", back, stocked, loan.id if loan else None


def expire(lockers: Lockers, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime, *,
           force: bool = False) -> None:
    """A door that did not open in time: nothing recorded but a failure; too many make a fault."""
    op = conn.execute("SELECT * FROM locker_ops WHERE id = ?", (row["op_id"],)).fetchone()
    limit = timedelta(seconds=lockers.rules["open_timeout_seconds"])
    if op is None:
        return
    left = limit - (now - parse_time(op["started_at"]))
    if not force and left > timedelta(0):
        lockers.schedule(left.total_seconds() + 0.05)     # e.g. after a restart: look again when it is due
        return
    failures = row["failures"] + 1
    faulted = failures >= lockers.rules["fault_after"]
    with store.transaction(conn):
        conn.execute("UPDATE locker_ops SET finished_at = ?, outcome = 'not_opened' WHERE id = ?",
                     (rfc3339(now), op["id"]))
        lockers._set(conn, row["id"], now, state="fault" if faulted else op["back_to"], op_id=None,
                     failures=failures)
        if faulted and op["back_to"] != "fault":
            outbox.append(conn, "locker.fault", {"slot": row["id"], "failures": failures,
                                                 "reason": "door_not_opened"}, ts=rfc3339(now))
    log.warning("slot %s: door did not open (%d in a row)%s", row["id"], failures, "; now fault" if faulted else "")
    lockers.publish("locker", slot=row["id"], op_id=op["id"], phase="not_opened", fault=faulted)


def watch_doors(lockers: Lockers, conn: sqlite3.Connection, now: datetime) -> None:
    """Notice doors open without an event, and raise the alarm for a door left open too long."""
    limit = timedelta(seconds=lockers.rules["door_alarm_seconds"])
    for row in conn.execute("SELECT * FROM locker_slots").fetchall():
        if row["id"] not in lockers.purpose:
            continue
        door = lockers._door(row["id"])
        since = row["door_open_since"]
        with store.transaction(conn):
            if door == "open" and since is None:
                lockers._set(conn, row["id"], now, door_open_since=rfc3339(now))
            elif door == "closed" and since is not None and row["state"] != "open":
                lockers._set(conn, row["id"], now, door_open_since=None, alarm=0)
            elif door == "open" and not row["alarm"] and now - parse_time(since) >= limit:
                lockers._set(conn, row["id"], now, alarm=1)
                log.warning("slot %s: door left open", row["id"])
                lockers.publish("locker", slot=row["id"], phase="left_open")


def overdue(lockers: Lockers, conn: sqlite3.Connection, now: datetime) -> None:
    """Loans past due: `loan.overdue` once each; an overdue phone alerts staff."""
    for loan in loans.open_loans(conn):
        if loan.overdue_at is None and now >= loan.due:
            with store.transaction(conn):
                reported = loans.mark_overdue(conn, loan, now=now, points=lockers.rules["overdue_points"])
            if reported:
                lockers.publish("locker", slot=loan.slot_id, phase="overdue", loan_kind=loan.kind)
