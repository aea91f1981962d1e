"""The points ledger: append-only entries, each reported by a `points.entry` event.

Balances belong to the district (a member may use any station): the station
keeps the district's last snapshot of each balance, plus its own entries
whose event came after that snapshot. A balance is always derived from these,
never stored alone. Every entry has an idempotency key: the same key twice is
one entry, so a double tap, a retried request or a re-delivered command
cannot apply twice.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..base import outbox, store
from ..base.clock import rfc3339, utc_now
from ..base.errors import NotInTransaction, Refusal
from ..config.offer import PointsSettings


class LedgerError(Refusal):
    """A points entry refused (zero amount, unknown member, no such adjustment item)."""


@dataclass(frozen=True)
class Entry:
    entry_id: str
    member_id: str
    amount: int
    reason: str
    source: str
    author: str
    note: str
    ts: str
    new: bool = True          # False when the key had already been used


_COLUMNS = "entry_id, member_id, amount, reason, source, author, note, ts"


def add(conn: sqlite3.Connection, member_id: str, amount: int, reason: str, *, key: str, author: str,
        note: str = "", source: str = "station", now: datetime | None = None,
        never_below_zero: bool = False) -> Entry:
    """Append one entry in the caller's transaction; an already used key returns the first entry.

    A key belongs to one member, amount and reason: the same key with another of them is refused
    (`key_reused`, 422), and an empty key is never a key. With `never_below_zero` a deduction that would
    take the balance below zero is refused with the shortfall (`over_balance`).
    """
    if not conn.in_transaction:
        raise NotInTransaction("ledger.add must run inside the transaction of the change it records")
    if not isinstance(key, str) or not key.strip():
        raise LedgerError("no_key", "a points entry needs its one-time key", status=400)
    row = conn.execute(f"SELECT {_COLUMNS} FROM ledger WHERE idem_key = ?", (key,)).fetchone()
    if row:
        first = Entry(*row, new=False)
        if (first.member_id, first.amount, first.reason) != (member_id, amount, reason):
            raise LedgerError("key_reused", "this key was already used for another entry", status=422)
        return first
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise LedgerError("bad_amount", f"an entry moves a whole, non-zero number of points, not {amount!r}")
    if conn.execute("SELECT 1 FROM members WHERE id = ?", (member_id,)).fetchone() is None:
        raise LedgerError("unknown_member", f"no member {member_id!r}", status=404)
    if never_below_zero and amount < 0 and balance(conn, member_id) + amount < 0:
        has = balance(conn, member_id)
        raise LedgerError("over_balance", f"the member has {has} points, {-amount} to deduct",
                          shortfall=-(has + amount), balance=has)
    ts = rfc3339(now or utc_now())
    entry = Entry(str(uuid.uuid4()), member_id, amount, reason, source, author, note, ts)
    event = outbox.append(conn, "points.entry", {
        "entry_id": entry.entry_id, "member_id": member_id, "amount": amount, "reason": reason,
        "author": author, "note": note, "balance_after": balance(conn, member_id) + amount}, ts=ts)
    conn.execute("INSERT INTO ledger (entry_id, member_id, amount, reason, source, idem_key, author, note, ts, "
                 "event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (entry.entry_id, member_id, amount, reason, source, key, author, note, ts, event.seq))
    return entry


def balance(conn: sqlite3.Connection, member_id: str) -> int:
    """The district's snapshot plus this station's entries reported after it."""
    row = conn.execute(
        "SELECT COALESCE(s.balance, 0) + COALESCE((SELECT SUM(l.amount) FROM ledger l WHERE l.member_id = ? "
        "AND l.event_seq > COALESCE(s.as_of_seq, 0)), 0) "
        "FROM (SELECT ? AS member_id) m LEFT JOIN balance_snapshots s ON s.member_id = m.member_id",
        (member_id, member_id)).fetchone()
    return int(row[0])


def recent(conn: sqlite3.Connection, member_id: str, limit: int = 10) -> list[Entry]:
    """The member's latest entries at this station, newest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM ledger WHERE member_id = ? ORDER BY id DESC LIMIT ?",
                        (member_id, limit)).fetchall()
    return [Entry(*r) for r in rows]


def set_snapshot(conn: sqlite3.Connection, member_id: str, balance_: int, as_of_seq: int,
                 now: datetime | None = None) -> None:
    """Take the district's balance of a member as of the station's outbox seq it had seen."""
    if not conn.in_transaction:
        raise NotInTransaction("set_snapshot must run inside the roster's transaction")
    conn.execute("INSERT INTO balance_snapshots (member_id, balance, as_of_seq, received_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (member_id) DO UPDATE SET balance = excluded.balance, as_of_seq = excluded.as_of_seq, "
                 "received_at = excluded.received_at", (member_id, balance_, as_of_seq, rfc3339(now or utc_now())))


def adjust(conn: sqlite3.Connection, rules: PointsSettings, member_id: str, item_id: str, *, staff_id: str,
           key: str) -> Entry:
    """A staff add/deduct from the configured list (never a free amount typed at the kiosk).

    A deduction never takes the balance below zero unless its item says `allow_negative`.
    """
    item = next((a for a in rules.adjustments if a.id == item_id), None)
    if item is None:
        raise LedgerError("unknown_item", f"no add/deduct item {item_id!r}")
    with store.transaction(conn):
        return add(conn, member_id, item.amount, f"adjust:{item.id}", key=key, author=staff_id,
                   note=item.label.get("zh", ""), never_below_zero=not item.allow_negative)


def one_time_key() -> str:
    """A fresh key for an entry that has no natural one (a form carries it to make retries safe)."""
    return str(uuid.uuid4())
