"""The transactional outbox: business events waiting for the district.

An event is written in the same transaction as the change it reports, so a
committed change always has its event and a rolled-back one never does. `seq`
grows by one per station, forever: the district sees a gap as a lost event.
Events are forgotten only up to the district's acknowledgement (`events/ack`),
never by age.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from .clock import now_rfc3339
from .errors import NotInTransaction
from .store import transaction


@dataclass(frozen=True)
class Event:
    seq: int
    id: str
    type: str
    ts: str
    data: dict[str, Any]

    def as_message(self) -> dict[str, Any]:
        """The event as it travels in an `events` batch (docs/mqtt.md)."""
        return {"id": self.id, "seq": self.seq, "type": self.type, "ts": self.ts, "data": self.data}


def append(conn: sqlite3.Connection, type: str, data: Mapping[str, Any], *,
           ts: str | None = None, event_id: str | None = None) -> Event:
    """Add an event inside the caller's open transaction and return it with its seq."""
    if not conn.in_transaction:
        raise NotInTransaction("outbox.append must run inside the transaction of the change it reports")
    event_id = event_id or str(uuid.uuid4())
    ts = ts or now_rfc3339()
    payload = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
    cur = conn.execute("INSERT INTO events (id, type, ts, data) VALUES (?, ?, ?, ?)",
                       (event_id, type, ts, payload))
    return Event(seq=cur.lastrowid, id=event_id, type=type, ts=ts, data=dict(data))


def take(conn: sqlite3.Connection, *, after_seq: int | None = None, limit: int = 100) -> list[Event]:
    """The next pack of unacknowledged events in seq order (after `after_seq` if given)."""
    if after_seq is None:
        after_seq = acked_seq(conn)
    rows = conn.execute("SELECT seq, id, type, ts, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                        (after_seq, limit)).fetchall()
    return [Event(seq=r[0], id=r[1], type=r[2], ts=r[3], data=json.loads(r[4])) for r in rows]


def acked_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT acked_seq FROM outbox_state WHERE id = 1").fetchone()[0]


def forget(conn: sqlite3.Connection, upto_seq: int) -> int:
    """Drop events the district acknowledged (seq ≤ upto_seq); return how many went.

    An acknowledgement never moves backwards, and one beyond the last event
    written is clamped: the district cannot acknowledge what does not exist.
    """
    with transaction(conn):
        last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        high = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        upto = min(int(upto_seq), high[0] if high else last)
        if upto <= acked_seq(conn):
            return 0
        gone = conn.execute("DELETE FROM events WHERE seq <= ?", (upto,)).rowcount
        conn.execute("UPDATE outbox_state SET acked_seq = ? WHERE id = 1", (upto,))
    return gone


def depth(conn: sqlite3.Connection) -> int:
    """How many events wait for the district's acknowledgement."""
    return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def oldest_age_s(conn: sqlite3.Connection, now: datetime | None = None) -> float | None:
    """Seconds since the oldest unacknowledged event was written (None when empty)."""
    row = conn.execute("SELECT ts FROM events ORDER BY seq LIMIT 1").fetchone()
    if row is None:
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (now - datetime.fromisoformat(row[0])).total_seconds())
