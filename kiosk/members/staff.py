"""Staff sign-in: a staff card plus a 4–6 digit PIN, checked against a slow salted hash.

Wrong PINs cost time, not the account: from the third failure on a card each
further attempt must wait twice as long as the last (5 s, 10 s, 20 s … up to
15 minutes), and a correct PIN clears the count. There is no permanent
lockout: a station must never be left without its staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import sqlite3
from datetime import datetime, timedelta

from ..base import store
from ..base.clock import Clock, rfc3339, utc_now
from ..base.errors import Refusal
from . import cards, sessions
from .cards import Member

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1      # ≈ 16 MB and tens of ms per check
FREE_FAILURES = 2
FIRST_DELAY_S = 5
MAX_DELAY_S = 15 * 60
PIN_PATTERN = re.compile(r"[0-9]{4,6}")       # ASCII digits: `\d` would also take ١٢٣٤


class StaffAuthError(Refusal, PermissionError):
    """A sign-in refused; `wait_s` says how long until the next try is allowed."""

    default_status = 403

    def __init__(self, code: str, message: str, *, wait_s: int = 0) -> None:
        super().__init__(code, message, wait_s=wait_s)
        self.wait_s = wait_s


def hash_pin(pin: str) -> str:
    if not PIN_PATTERN.fullmatch(pin):
        raise ValueError("a PIN is 4 to 6 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def pin_matches(pin: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def set_pin(conn: sqlite3.Connection, member_id: str, pin: str, *, now: datetime | None = None) -> None:
    """Give a staff member a new PIN (and forgive their failed attempts); their open sessions end."""
    now = now or utc_now()
    with store.transaction(conn):
        row = conn.execute("SELECT role FROM members WHERE id = ? AND active = 1", (member_id,)).fetchone()
        if row is None or row[0] != "staff":
            raise StaffAuthError("not_staff", f"{member_id} is not an active staff member")
        conn.execute("INSERT INTO staff_pins (member_id, pin_hash, set_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (member_id) DO UPDATE SET pin_hash = excluded.pin_hash, set_at = excluded.set_at",
                     (member_id, hash_pin(pin), rfc3339(now)))
        conn.execute("DELETE FROM staff_attempts WHERE member_id = ?", (member_id,))
        sessions.end_for_member(conn, member_id, "pin_changed", now=now)


def delay_after(failures: int) -> int:
    """Seconds a card must wait after `failures` wrong PINs in a row."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES - 1))


def sign_in(conn: sqlite3.Connection, card_uid: str, pin: str, *,
            clock: Clock = utc_now) -> Member:
    """The staff member of this card, if the PIN is theirs; otherwise a clear refusal."""
    return check_pin(conn, cards.find_by_card(conn, card_uid), pin, clock=clock)


def sign_in_by_id(conn: sqlite3.Connection, member_id: str, pin: str, *, clock: Clock = utc_now) -> Member:
    """The staff member with this id, if the PIN is theirs (a paired device has no card reader)."""
    wanted = member_id.strip() if isinstance(member_id, str) else ""
    member = (cards.by_id(conn, wanted) or cards.by_id(conn, wanted.upper())) if wanted else None
    return check_pin(conn, member, pin, clock=clock)


def check_pin(conn: sqlite3.Connection, member: Member | None, pin: str, *, clock: Clock = utc_now) -> Member:
    """The member, if they are staff and the PIN is theirs; the same waits whichever way they sign in."""
    now = clock()
    if member is None or member.role != "staff":
        raise StaffAuthError("not_staff", "this is not a staff member")
    with store.transaction(conn):
        row = conn.execute("SELECT failures, last_failure_at FROM staff_attempts WHERE member_id = ?",
                           (member.id,)).fetchone()
        failures = row[0] if row else 0
        if row:
            ready = datetime.fromisoformat(row[1]) + timedelta(seconds=delay_after(failures))
            if now < ready:
                wait = int((ready - now).total_seconds()) + 1
                raise StaffAuthError("wait", f"too many wrong PINs: try again in {wait} s", wait_s=wait)
        stored = conn.execute("SELECT pin_hash FROM staff_pins WHERE member_id = ?", (member.id,)).fetchone()
        if stored and PIN_PATTERN.fullmatch(pin or "") and pin_matches(pin, stored[0]):
            conn.execute("DELETE FROM staff_attempts WHERE member_id = ?", (member.id,))
            return member
        conn.execute("INSERT INTO staff_attempts (member_id, failures, last_failure_at) VALUES (?, 1, ?) "
                     "ON CONFLICT (member_id) DO UPDATE SET failures = failures + 1, "
                     "last_failure_at = excluded.last_failure_at", (member.id, rfc3339(now)))
    if stored is None:
        raise StaffAuthError("no_pin", "no PIN is set for this staff card: ask the station manager")
    raise StaffAuthError("wrong_pin", "wrong PIN", wait_s=delay_after(failures + 1))
