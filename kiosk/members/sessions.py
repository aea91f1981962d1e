"""Staff sessions kept by the station: opened at sign-in, ended for good on sign-out, idle, a PIN change
or a revoked device.

The browser holds only a random token (in its signed session cookie); the station keeps a SHA-256 of
it with who signed in, where (the residents' screen or a paired device) and when they last acted. A
session that ended stays ended: a copied cookie opens nothing after sign-out.

Idle rule: a session ends after `idle_s` without a staff action, except while the counter it works
has a ticket called or being served (the caller says so through `in_service`): a counter in service
is never reset.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from ..base import store
from ..base.clock import parse_time, rfc3339, utc_now
from ..base.errors import Refusal

END_REASONS = ("signed_out", "idle", "left", "pin_changed", "device_revoked")


class SessionRefused(Refusal, PermissionError):
    """No live staff session: never signed in ("no_session") or ended ("session_ended", with its reason)."""

    default_status = 401


@dataclass(frozen=True)
class StaffSession:
    """A live staff session: who, on which device (None: the residents' screen), at which counter."""
    id: int
    member_id: str
    name: str
    device_id: str | None
    counter: str | None
    started_at: str
    seen_at: str


def token_hash(token: str) -> str:
    """What the station keeps of a token: its SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(conn: sqlite3.Connection, member_id: str, *, device_id: str | None = None,
                 now: datetime | None = None) -> str:
    """Start a session for a staff member who just proved their PIN; the token for the browser."""
    token = secrets.token_urlsafe(32)
    stamp = rfc3339(now or utc_now())
    with store.transaction(conn):
        conn.execute("INSERT INTO staff_sessions (token_hash, member_id, device_id, started_at, seen_at) "
                     "VALUES (?, ?, ?, ?, ?)", (token_hash(token), member_id, device_id, stamp, stamp))
    return token


def check(conn: sqlite3.Connection, token: str | None, *, idle_s: float, device_idle_s: float | None = None,
          now: datetime | None = None, in_service: Callable[[str], bool] = lambda counter: False,
          touch: bool = True) -> StaffSession:
    """The live session of this token, its last action moved to now (unless `touch` is False).

    `idle_s` is the idle time at the residents' screen, `device_idle_s` on a paired device (default: the same).

    Raises SessionRefused "no_session" (unknown token) or "session_ended" with the reason in
    `details["reason"]`; a session found idle is ended here, with reason "idle".
    """
    now = now or utc_now()
    if not token:
        raise SessionRefused("no_session", "not signed in")
    with store.transaction(conn):
        row = conn.execute(
            "SELECT s.id, s.member_id, m.name, s.device_id, s.counter, s.started_at, s.seen_at, s.ended_at, "
            "s.end_reason FROM staff_sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = ?",
            (token_hash(token),)).fetchone()
        if row is None:
            raise SessionRefused("no_session", "not signed in")
        session = StaffSession(*row[:7])
        if row[7] is not None:
            raise _ended(row[8])
        limit = idle_s if session.device_id is None or device_idle_s is None else device_idle_s
        idle = now - parse_time(session.seen_at) > timedelta(seconds=limit)
        idle = idle and not (session.counter and in_service(session.counter))
        if idle:
            _end(conn, "id = ?", (session.id,), "idle", now)      # committed: an idle session stays ended
        elif touch:
            conn.execute("UPDATE staff_sessions SET seen_at = ? WHERE id = ?", (rfc3339(now), session.id))
    if idle:
        raise _ended("idle")
    return session


def _ended(reason: str) -> SessionRefused:
    return SessionRefused("session_ended", f"the staff session ended ({reason})", reason=reason)


def use_counter(conn: sqlite3.Connection, token: str, counter: str) -> None:
    """Remember which counter a session works (its idle rule follows that counter)."""
    with store.transaction(conn):
        conn.execute("UPDATE staff_sessions SET counter = ? WHERE token_hash = ? AND ended_at IS NULL",
                     (counter, token_hash(token)))


def end(conn: sqlite3.Connection, token: str | None, reason: str, *, now: datetime | None = None) -> bool:
    """End one session (sign-out, leaving the staff screens); True if it was live."""
    if not token:
        return False
    with store.transaction(conn):
        return _end(conn, "token_hash = ?", (token_hash(token),), reason, now or utc_now()) > 0


def end_for_member(conn: sqlite3.Connection, member_id: str, reason: str, *, now: datetime | None = None) -> int:
    """End every live session of a staff member (their PIN changed); runs in the caller's transaction."""
    return _end(conn, "member_id = ?", (member_id,), reason, now or utc_now())


def end_for_device(conn: sqlite3.Connection, device_id: str, reason: str, *, now: datetime | None = None) -> int:
    """End every live session on a device (it was revoked); runs in the caller's transaction."""
    return _end(conn, "device_id = ?", (device_id,), reason, now or utc_now())


def _end(conn: sqlite3.Connection, where: str, args: tuple, reason: str, now: datetime) -> int:
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    return conn.execute(f"UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE {where} AND ended_at IS NULL",
                        (rfc3339(now), reason, *args)).rowcount


def live(conn: sqlite3.Connection, *, device_id: str | None = None) -> list[StaffSession]:
    """Sessions not ended yet (of one device, when given), newest first."""
    sql = ("SELECT s.id, s.member_id, m.name, s.device_id, s.counter, s.started_at, s.seen_at FROM staff_sessions s "
           "JOIN members m ON m.id = s.member_id WHERE s.ended_at IS NULL")
    args: tuple = ()
    if device_id is not None:
        sql, args = sql + " AND s.device_id = ?", (device_id,)
    return [StaffSession(*r) for r in conn.execute(sql + " ORDER BY s.id DESC", args).fetchall()]
