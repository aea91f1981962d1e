"""The inbox: district commands accepted by the sync process, run by the process that owns what they touch.

The sync process verifies a command (signature, expiry, nonce, allowlist;
sync/commands.py) and `accept`s it: its nonce and its inbox row are written
in one transaction, so a replay is refused even after a restart. Hardware
commands (`runs_in = "kiosk"`) are `claim`ed and run by the kiosk process;
the sync process runs its own. `finish` writes the result and the
`command.result` event in one transaction; the sync process then publishes
the result on `cmd/{id}/result` and marks it published. A command still
`running` when its process died is never run again (a locker is never
unlocked twice by accident): it ends as `failed`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..base import outbox, store
from ..base.clock import rfc3339, utc_now


@dataclass(frozen=True)
class Command:
    id: str
    name: str
    args: dict[str, Any]
    runs_in: str                  # kiosk | sync
    expires: str                  # RFC 3339 (UTC)


def result_message(command_id: str, name: str | None, status: str, reason: str | None,
                   result: dict[str, Any] | None = None, ts: str | None = None, *,
                   code: str | None = None) -> dict[str, Any]:
    """The payload of `cmd/{id}/result` and the data of its `command.result` event; `code` says why a
    command was refused or failed (sync/schemas.py REFUSED_CODES, FAILED_CODES), None when done."""
    return {"id": command_id, "name": name, "status": status, "code": None if status == "done" else code,
            "reason": reason, "result": result or {}, "ts": ts or rfc3339(utc_now())}


def accept(conn: sqlite3.Connection, command: Command, nonce: str, *,
           now: datetime | None = None) -> tuple[str, str] | None:
    """Keep the nonce and queue the command, in one transaction; (code, reason) if either was seen before."""
    ts = rfc3339(now or utc_now())
    with store.transaction(conn):
        conn.execute("DELETE FROM command_nonces WHERE expires < ?", (ts,))
        if conn.execute("SELECT 1 FROM command_nonces WHERE nonce = ?", (nonce,)).fetchone():
            return "replayed_nonce", "replayed: this nonce was already used"
        if conn.execute("SELECT 1 FROM inbox WHERE id = ?", (command.id,)).fetchone():
            return "replayed_id", "replayed: this command id was already used"
        conn.execute("INSERT INTO command_nonces (nonce, command_id, expires) VALUES (?, ?, ?)",
                     (nonce, command.id, command.expires))
        conn.execute("INSERT INTO inbox (id, name, args, runs_in, expires, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                     (command.id, command.name, json.dumps(command.args, ensure_ascii=False), command.runs_in,
                      command.expires, ts))
    return None


def claim(conn: sqlite3.Connection, runs_in: str, *, now: datetime | None = None) -> Command | None:
    """The oldest pending command for this process, marked running; one that expired waiting ends refused."""
    ts = rfc3339(now or utc_now())
    while True:
        with store.transaction(conn):
            row = conn.execute("SELECT id, name, args, runs_in, expires FROM inbox WHERE runs_in = ? AND "
                               "state = 'pending' ORDER BY received_at, rowid LIMIT 1", (runs_in,)).fetchone()
            if row is None:
                return None
            command = Command(row[0], row[1], json.loads(row[2]), row[3], row[4])
            if command.expires > ts:
                conn.execute("UPDATE inbox SET state = 'running' WHERE id = ?", (command.id,))
                return command
            _finish(conn, command.id, command.name, "refused", "expired before it could run", {}, ts,
                    code="expired_waiting")


def finish(conn: sqlite3.Connection, command: Command, status: str, result: dict[str, Any], *,
           reason: str | None = None, code: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Record what a run gave (done | failed, with a code) with its `command.result` event; the result message."""
    with store.transaction(conn):
        return _finish(conn, command.id, command.name, status, reason, result, rfc3339(now or utc_now()), code=code)


def _finish(conn: sqlite3.Connection, command_id: str, name: str, status: str, reason: str | None,
            result: dict[str, Any], ts: str, *, code: str | None = None) -> dict[str, Any]:
    message = result_message(command_id, name, status, reason, result, ts, code=code)
    conn.execute("UPDATE inbox SET state = 'done', status = ?, result = ?, finished_at = ? WHERE id = ?",
                 (status, json.dumps(message, ensure_ascii=False), ts, command_id))
    outbox.append(conn, "command.result", message, ts=ts)
    return message


def refused(conn: sqlite3.Connection, command_id: str, name: str | None, reason: str, *,
            code: str) -> dict[str, Any]:
    """Report a command that is not run (bad signature, expired, replayed, …): only its event is written."""
    message = result_message(command_id, name, "refused", reason, code=code)
    with store.transaction(conn):
        outbox.append(conn, "command.result", message, ts=message["ts"])
    return message


def interrupted(conn: sqlite3.Connection, runs_in: str) -> int:
    """Commands left `running` by a process that died: they end failed, never run twice."""
    ts = rfc3339(utc_now())
    with store.transaction(conn):
        rows = conn.execute("SELECT id, name FROM inbox WHERE runs_in = ? AND state = 'running'",
                            (runs_in,)).fetchall()
        for command_id, name in rows:
            _finish(conn, command_id, name, "failed", "interrupted by a restart; not run again", {}, ts,
                    code="interrupted")
    return len(rows)


def unpublished(conn: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Finished commands whose result has not gone out yet, oldest first."""
    rows = conn.execute("SELECT result FROM inbox WHERE state = 'done' AND published = 0 "
                        "ORDER BY finished_at LIMIT ?", (limit,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def mark_published(conn: sqlite3.Connection, command_id: str) -> None:
    with store.transaction(conn):
        conn.execute("UPDATE inbox SET published = 1 WHERE id = ?", (command_id,))


def get(conn: sqlite3.Connection, command_id: str) -> dict[str, Any] | None:
    """One inbox row as a dict (state, status, result …), for tests and diagnostics."""
    row = conn.execute("SELECT id, name, args, runs_in, state, status, result, published FROM inbox WHERE id = ?",
                       (command_id,)).fetchone()
    if row is None:
        return None
    return {"id": row[0], "name": row[1], "args": json.loads(row[2]), "runs_in": row[3], "state": row[4],
            "status": row[5], "result": json.loads(row[6]) if row[6] else None, "published": bool(row[7])}
