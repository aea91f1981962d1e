"""The transactional outbox: business events waiting for the district.

An event is written in the same transaction as the change it reports, so a
committed change always has its event and a rolled-back one never does. `seq`
grows by one per event of the database (AUTOINCREMENT: never reused), so the
district sees a gap as a lost event. Each event also carries the database's
epoch (docs/mqtt.md, "Epoch"): the Unix time in ms at which this history
began; `vstation restore` starts a new, larger one, so a seq that a restore
rewound and used again never passes for the old event. Epochs follow each
other in seq order, so (epoch, seq) order is seq order within the database.
Events are forgotten only up to the district's acknowledgement (`events/ack`),
never by age.
"""

from __future__ import annotations

import json
import sqlite3
import time
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
    epoch: int = 0

    def as_message(self) -> dict[str, Any]:
        """The event as it travels in an `events` batch (docs/mqtt.md)."""
        return {"id": self.id, "seq": self.seq, "epoch": self.epoch, "type": self.type, "ts": self.ts,
                "data": self.data}


@dataclass(frozen=True)
class Epoch:
    """The current epoch of the database and the seq its first event has or will have."""
    epoch: int
    first_seq: int


def append(conn: sqlite3.Connection, type: str, data: Mapping[str, Any], *,
           ts: str | None = None, event_id: str | None = None) -> Event:
    """Add an event inside the caller's open transaction and return it with its seq."""
    if not conn.in_transaction:
        raise NotInTransaction("outbox.append must run inside the transaction of the change it reports")
    event_id = event_id or str(uuid.uuid4())
    ts = ts or now_rfc3339()
    payload = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))
    cur = conn.execute("INSERT INTO events (id, type, ts, data, epoch) "
                       "SELECT ?, ?, ?, ?, epoch FROM outbox_state WHERE id = 1 RETURNING seq, epoch",
                       (event_id, type, ts, payload))
    seq, epoch = cur.fetchone()
    return Event(seq=seq, id=event_id, type=type, ts=ts, data=dict(data), epoch=epoch)


def take(conn: sqlite3.Connection, *, after_seq: int | None = None, limit: int = 100) -> list[Event]:
    """The next pack of unacknowledged events in seq order (after `after_seq` if given)."""
    if after_seq is None:
        after_seq = acked_seq(conn)
    rows = conn.execute("SELECT seq, id, type, ts, data, epoch FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                        (after_seq, limit)).fetchall()
    return [Event(seq=r[0], id=r[1], type=r[2], ts=r[3], data=json.loads(r[4]), epoch=r[5]) for r in rows]


def last_seq(conn: sqlite3.Connection) -> int:
    """The seq of the last event ever written in this database, forgotten or not (0 before the first)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    return row[0] if row else 0


def current_epoch(conn: sqlite3.Connection) -> Epoch:
    row = conn.execute("SELECT epoch, epoch_first_seq FROM outbox_state WHERE id = 1").fetchone()
    return Epoch(row[0], row[1])


def begin_epoch(conn: sqlite3.Connection, *, after: int = 0, now_ms: int | None = None) -> Epoch:
    """Start a new epoch (a restore does): max(now, the current epoch + 1, `after` + 1), so epochs only grow;
    its first event will have the seq after the last one this database wrote."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    with transaction(conn):
        new = Epoch(max(now_ms, current_epoch(conn).epoch + 1, after + 1), last_seq(conn) + 1)
        conn.execute("UPDATE outbox_state SET epoch = ?, epoch_first_seq = ? WHERE id = 1", (new.epoch, new.first_seq))
    return new


def ack_position(conn: sqlite3.Connection, epoch: int, upto_seq: int) -> int:
    """The seq up to which an acknowledgement of (epoch, upto_seq) covers this database's events.

    (epoch, seq) order is seq order here, so an ack covers a prefix: every event of an older
    epoch, and this epoch's up to upto_seq. The current epoch (the common case) costs no lookup;
    an older one's bounds are two lookups in the index on (epoch, seq).
    """
    if epoch >= current_epoch(conn).epoch:
        return max(acked_seq(conn), min(upto_seq, last_seq(conn)))
    start = _first_seq(conn, "epoch >= ?", epoch)       # where epoch `epoch` (or a later one) begins
    later = _first_seq(conn, "epoch > ?", epoch)        # where a later epoch begins
    own_end = later - 1 if later else last_seq(conn)
    older_end = start - 1 if start else own_end
    return max(acked_seq(conn), older_end, min(upto_seq, own_end))


def _first_seq(conn: sqlite3.Connection, condition: str, epoch: int) -> int | None:
    """The first seq of the events that meet `condition` on their epoch (index events_epoch: no walk)."""
    row = conn.execute(f"SELECT seq FROM events WHERE {condition} ORDER BY epoch, seq LIMIT 1", (epoch,)).fetchone()
    return row[0] if row else None


def acked_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT acked_seq FROM outbox_state WHERE id = 1").fetchone()[0]


def forget(conn: sqlite3.Connection, upto_seq: int) -> int:
    """Drop events the district acknowledged (seq ≤ upto_seq); return how many went.

    An acknowledgement never moves backwards, and one beyond the last event
    written is clamped: the district cannot acknowledge what does not exist.
    """
    with transaction(conn):
        upto = min(int(upto_seq), last_seq(conn))
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
