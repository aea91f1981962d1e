"""What a door operation achieved once its door opened and shut again: loans started or ended, stock.

`complete` runs inside the state machine's lock and transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from . import loans

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
