"""Loans of the lockers: an umbrella borrowed, a phone left to charge.

A loan row is written only by the locker state machine (kiosk/lockers/machine.py),
inside the transaction that moves the slot, together with its event
(`loan.started`, `loan.ended`, `loan.overdue`). Phones are locked to a card by
a hash of its UID: the UID itself is personal data and is never stored here.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..base import outbox
from ..base.clock import parse_time, rfc3339
from ..members import ledger
from ..members.cards import normalise_uid

OVERDUE_REASON = "locker:overdue"


@dataclass(frozen=True)
class Loan:
    id: str
    kind: str              # umbrella | charging
    slot_id: str
    member_id: str | None
    started_at: str
    due_at: str
    ended_at: str | None
    overdue_at: str | None

    @property
    def due(self) -> datetime:
        return parse_time(self.due_at)


_COLUMNS = "id, kind, slot_id, member_id, started_at, due_at, ended_at, overdue_at"


def card_hash(uid: str) -> str:
    """The card as loans remember it: a SHA-256 of the normalised UID."""
    return hashlib.sha256(normalise_uid(uid).encode()).hexdigest()


def get(conn: sqlite3.Connection, loan_id: str) -> Loan | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE id = ?", (loan_id,)).fetchone()
    return Loan(*row) if row else None


def open_umbrella(conn: sqlite3.Connection, member_id: str) -> Loan | None:
    """The umbrella this member holds now, if any."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE kind = 'umbrella' AND member_id = ? "
                       "AND ended_at IS NULL", (member_id,)).fetchone()
    return Loan(*row) if row else None


def oldest_umbrella(conn: sqlite3.Connection) -> Loan | None:
    """The umbrella out longest: what a return without a card ends."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE kind = 'umbrella' AND ended_at IS NULL "
                       "ORDER BY started_at LIMIT 1").fetchone()
    return Loan(*row) if row else None


def phone_of(conn: sqlite3.Connection, hashed_card: str) -> Loan | None:
    """The phone this card left to charge, if any."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE kind = 'charging' AND card_hash = ? "
                       "AND ended_at IS NULL", (hashed_card,)).fetchone()
    return Loan(*row) if row else None


def in_slot(conn: sqlite3.Connection, slot_id: str) -> Loan | None:
    """The open charging loan of a slot."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE kind = 'charging' AND slot_id = ? "
                       "AND ended_at IS NULL", (slot_id,)).fetchone()
    return Loan(*row) if row else None


def open_loans(conn: sqlite3.Connection) -> list[Loan]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM loans WHERE ended_at IS NULL ORDER BY started_at").fetchall()
    return [Loan(*r) for r in rows]


def start(conn: sqlite3.Connection, kind: str, slot_id: str, *, member_id: str | None, hashed_card: str | None,
          now: datetime, hours: int) -> Loan:
    """Write a loan and its `loan.started` event in the caller's transaction."""
    loan = Loan(str(uuid.uuid4()), kind, slot_id, member_id, rfc3339(now), rfc3339(now + timedelta(hours=hours)),
                None, None)
    conn.execute("INSERT INTO loans (id, kind, slot_id, member_id, card_hash, started_at, due_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (loan.id, kind, slot_id, member_id, hashed_card, loan.started_at, loan.due_at))
    outbox.append(conn, "loan.started", {"loan_id": loan.id, "kind": kind, "slot": slot_id,
                                         "member_id": member_id, "due": loan.due_at}, ts=loan.started_at)
    return loan


def end(conn: sqlite3.Connection, loan: Loan, *, slot_id: str, by: str, now: datetime) -> None:
    """End a loan with its `loan.ended` event in the caller's transaction."""
    ts = rfc3339(now)
    conn.execute("UPDATE loans SET ended_at = ?, end_slot = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
                 (ts, slot_id, by, loan.id))
    outbox.append(conn, "loan.ended", {"loan_id": loan.id, "kind": loan.kind, "slot": slot_id,
                                       "member_id": loan.member_id, "by": by,
                                       "late": now > loan.due}, ts=ts)


def mark_overdue(conn: sqlite3.Connection, loan: Loan, *, now: datetime, points: int) -> bool:
    """Report a loan past its due time once (`loan.overdue`); an umbrella may cost `points` by the rule."""
    ts = rfc3339(now)
    changed = conn.execute("UPDATE loans SET overdue_at = ? WHERE id = ? AND overdue_at IS NULL "
                           "AND ended_at IS NULL", (ts, loan.id)).rowcount
    if not changed:
        return False
    deducted = 0
    if loan.kind == "umbrella" and points > 0 and loan.member_id:
        ledger.add(conn, loan.member_id, -points, OVERDUE_REASON, key=f"loan-overdue:{loan.id}",
                   author="station", note=loan.id, now=now)
        deducted = points
    outbox.append(conn, "loan.overdue", {"loan_id": loan.id, "kind": loan.kind, "slot": loan.slot_id,
                                         "member_id": loan.member_id, "due": loan.due_at,
                                         "points_deducted": deducted}, ts=ts)
    return True
