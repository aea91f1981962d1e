"""Staff devices paired with the station: phones, tablets and desk PCs that open the staff console.

A staff member signed in at the kiosk shows a one-time pairing code: 6 digits and a QR code, valid for
two minutes. The device that opens it first gets a device token (kept in its cookie; the station keeps
only its SHA-256) and the name it was given. Staff see the paired devices and revoke them; a revoked
device's sessions end at once and its token opens nothing again. Guessing is bounded: each wrong code
typed counts against every code open at that moment, and a code with `MAX_WRONG` wrong tries is void.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..base import store
from ..base.clock import parse_time, rfc3339, utc_now
from ..base.errors import Refusal
from . import sessions
from .sessions import token_hash

CODE_VALID_S = 120
MAX_WRONG = 5
NAME_MAX = 40


class DeviceRefused(Refusal, PermissionError):
    """A pairing or a device refused: code_expired, code_used, wrong_code, bad_name, device_revoked, …"""

    default_status = 403


@dataclass(frozen=True)
class PairingCode:
    code: str                  # the 6 digits (and the QR code's payload): shown once, never stored
    expires_at: str


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    paired_by: str
    paired_at: str
    seen_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_COLUMNS = "id, name, paired_by, paired_at, seen_at, revoked_at"


def new_code(conn: sqlite3.Connection, staff_id: str, *, now: datetime | None = None) -> PairingCode:
    """A fresh one-time code shown by a signed-in staff member; their earlier open codes lapse."""
    now = now or utc_now()
    expires = rfc3339(now + timedelta(seconds=CODE_VALID_S))
    with store.transaction(conn):
        conn.execute("UPDATE pairing_codes SET expires_at = ? WHERE created_by = ? AND used_at IS NULL "
                     "AND expires_at > ?", (rfc3339(now), staff_id, rfc3339(now)))
        while True:
            code = f"{secrets.randbelow(10 ** 6):06d}"
            taken = conn.execute("SELECT 1 FROM pairing_codes WHERE code_hash = ?", (token_hash(code),)).fetchone()
            if taken is None:
                break
        conn.execute("INSERT INTO pairing_codes (code_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (token_hash(code), staff_id, rfc3339(now), expires))
    return PairingCode(code, expires)


def pair(conn: sqlite3.Connection, code: str, name: str, *, now: datetime | None = None) -> tuple[str, Device]:
    """Give the device that opened a pairing code its token and name; (token for its cookie, device)."""
    now = now or utc_now()
    code, name = (code or "").strip(), " ".join((name or "").split())
    if not 1 <= len(name) <= NAME_MAX:
        raise DeviceRefused("bad_name", f"a device name is 1 to {NAME_MAX} characters", status=422)
    with store.transaction(conn):
        row = conn.execute("SELECT code_hash, created_by, expires_at, used_at, wrong_tries FROM pairing_codes "
                           "WHERE code_hash = ?", (token_hash(code),)).fetchone()
        wrong = row is None or row[4] >= MAX_WRONG
        if wrong:
            _count_wrong_try(conn, now)                          # committed, then refused below
        elif row[3] is not None:
            raise DeviceRefused("code_used", "this pairing code was already used")
        elif parse_time(row[2]) <= now:
            raise DeviceRefused("code_expired", "this pairing code has expired: show a new one")
    if wrong:
        raise DeviceRefused("wrong_code", "no such pairing code")
    with store.transaction(conn):
        token, device_id = secrets.token_urlsafe(32), str(uuid.uuid4())
        conn.execute("INSERT INTO staff_devices (id, name, token_hash, paired_by, paired_at) VALUES (?, ?, ?, ?, ?)",
                     (device_id, name, token_hash(token), row[1], rfc3339(now)))
        claimed = conn.execute("UPDATE pairing_codes SET used_at = ?, device_id = ? WHERE code_hash = ? "
                               "AND used_at IS NULL", (rfc3339(now), device_id, row[0])).rowcount
        if not claimed:                                           # another device was quicker
            raise DeviceRefused("code_used", "this pairing code was already used")
        return token, _get(conn, device_id)


def _count_wrong_try(conn: sqlite3.Connection, now: datetime) -> None:
    """A wrong code counts against every open code: guessing one of a million cannot go on."""
    conn.execute("UPDATE pairing_codes SET wrong_tries = wrong_tries + 1 WHERE used_at IS NULL AND expires_at > ?",
                 (rfc3339(now),))


def device_of(conn: sqlite3.Connection, token: str | None, *, now: datetime | None = None) -> Device:
    """The paired device holding this token (its last visit noted); DeviceRefused if unknown or revoked."""
    if not token:
        raise DeviceRefused("not_paired", "this device is not paired with the station")
    row = conn.execute(f"SELECT {_COLUMNS} FROM staff_devices WHERE token_hash = ?", (token_hash(token),)).fetchone()
    if row is None:
        raise DeviceRefused("not_paired", "this device is not paired with the station")
    device = Device(*row)
    if not device.active:
        raise DeviceRefused("device_revoked", "this device was revoked: pair it again")
    if device.seen_at is None or parse_time(device.seen_at) < (now or utc_now()) - timedelta(minutes=1):
        with store.transaction(conn):
            conn.execute("UPDATE staff_devices SET seen_at = ? WHERE id = ?", (rfc3339(now or utc_now()), device.id))
    return device


def revoke(conn: sqlite3.Connection, device_id: str, *, by: str, now: datetime | None = None) -> Device:
    """Revoke a device: its sessions end now and its token never opens the console again."""
    now = now or utc_now()
    with store.transaction(conn):
        device = _get(conn, device_id)
        if device.active:
            conn.execute("UPDATE staff_devices SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                         (rfc3339(now), by, device_id))
            sessions.end_for_device(conn, device_id, "device_revoked", now=now)
        return _get(conn, device_id)


def paired(conn: sqlite3.Connection) -> list[Device]:
    """Devices not revoked, newest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM staff_devices WHERE revoked_at IS NULL "
                        "ORDER BY paired_at DESC").fetchall()
    return [Device(*r) for r in rows]


def _get(conn: sqlite3.Connection, device_id: str) -> Device:
    row = conn.execute(f"SELECT {_COLUMNS} FROM staff_devices WHERE id = ?", (device_id,)).fetchone()
    if row is None:
        raise DeviceRefused("no_such_device", "no such device", status=404)
    return Device(*row)
