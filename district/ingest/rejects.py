"""Counting what the hub refuses: unknown stations, wrong topics, malformed or oversized payloads.

A refusal is never a crash: it is one log line and one counter per kind and
claimed station (table `rejects`), shown on the console's board.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Connection

from ..db.engine import upsert_insert
from ..db.schema import rejects

log = logging.getLogger("district.ingest")

KINDS = {
    "unknown_station": "a station that is not registered (or was removed)",
    "wrong_topic": "a topic that is not one a station publishes on",
    "malformed": "not UTF-8 JSON, or not the contract's shape",
    "oversized": "larger than ingest.max_payload_kb",
    "seq_reused": "a seq already stored with another event id",
    "unknown_command": "a result for a command the hub never sent to that station",
    "lost": "events a station had already forgotten when the hub asked for them again",
}


def count(conn: Connection, kind: str, station: str | None, topic: str, detail: str, now: datetime) -> None:
    """Add one to the counter of `kind` for the station the topic claimed (in the caller's transaction)."""
    log.warning("refused %s on %s: %s", kind.replace("_", " "), topic[:200], detail[:300])
    stmt = upsert_insert(conn, rejects).values(kind=kind, station=station or "", count=1, first_at=now, last_at=now,
                                               last_topic=topic[:300], last_detail=detail[:1000])
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["kind", "station"],
        set_={"count": rejects.c.count + 1, "last_at": now, "last_topic": stmt.excluded.last_topic,
              "last_detail": stmt.excluded.last_detail}))
