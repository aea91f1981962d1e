"""Presence on `status` (retained): the birth on every connect, the goodbye, the last will.

The session number counts connections to the broker, kept in the database
(`sync_state`), so the district sees every reconnect, restarts included.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kiosk import __version__
from kiosk.base.clock import now_rfc3339
from kiosk.base.outbox import Epoch
from kiosk.base.store import transaction


def will(session: int) -> dict[str, Any]:
    """The last will of the connection about to be made, which will be session `session`.

    It is set before each attempt, so it carries no time (the district takes the moment it received it), but
    it does carry the session: a hub that takes a station's messages in more than one worker may apply the
    will of a dropped connection after the birth of the next one, and the session tells it the will is old.
    """
    return {"online": False, "session": session}


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as every payload travels."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def current_session(conn: sqlite3.Connection) -> int:
    """How many connections this station has made so far (0 before the first)."""
    return conn.execute("SELECT session FROM sync_state WHERE id = 1").fetchone()[0]


def next_session(conn: sqlite3.Connection) -> int:
    """Count one more connection and return its number (durable before the birth goes out)."""
    with transaction(conn):
        rows = conn.execute("UPDATE sync_state SET session = session + 1 WHERE id = 1 "
                            "RETURNING session").fetchall()
    return rows[0][0]


def birth(session: int, started: str, epoch: Epoch) -> dict[str, Any]:
    """The retained `online: true` of one connection, with the database's epoch (docs/mqtt.md, "Epoch")."""
    return {"online": True, "version": __version__, "started": started, "session": session,
            "epoch": epoch.epoch, "epoch_first_seq": epoch.first_seq, "ts": now_rfc3339()}


def goodbye(session: int) -> dict[str, Any]:
    """The retained `online: false` a clean shutdown publishes before it disconnects."""
    return {"online": False, "session": session, "ts": now_rfc3339()}
