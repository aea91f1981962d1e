"""The console's users, roles and server-side sessions.

Passwords are kept as slow salted hashes (scrypt, through Werkzeug). After
three wrong passwords in a row an account waits 2, 4, 8 … up to 900 seconds
before it may try again; the answer never says whether the name exists. A
session is a random token in the cookie and its SHA-256 in the database:
it ends after `idle_minutes` untouched or `session_hours` in all, at
logout, and for every session of a user who is deactivated or whose
password changes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from .db.schema import users, web_sessions
from .errors import Refused

ROLES = ("admin", "dispatcher", "viewer")
#: what each role may do, in the console's words
RIGHTS = {"admin": {"view", "dispatch", "publish", "admin"}, "dispatcher": {"view", "dispatch"},
          "viewer": {"view"}}
FREE_TRIES = 3
MAX_WAIT_S = 900
MIN_PASSWORD = 10
_DUMMY_HASH = generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    def may(self, right: str) -> bool:
        return right in RIGHTS.get(self.role, set())


class LoginRefused(Refused):
    """Wrong name or password, or an account that must wait; `wait_s` says how long."""

    def __init__(self, wait_s: int = 0) -> None:
        super().__init__("wrong name or password" if not wait_s else f"too many tries: wait {wait_s} s")
        self.wait_s = wait_s


def create_user(conn: Connection, username: str, password: str, role: str, now: datetime) -> int:
    _check(username, password, role)
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise Refused(f"a user {username!r} exists already")
    return conn.execute(users.insert().values(username=username, password_hash=generate_password_hash(password),
                                              role=role, active=True, created_at=now, failures=0)
                        .returning(users.c.id)).scalar_one()


def set_password(conn: Connection, username: str, password: str) -> None:
    """A new password; every open session of the user ends."""
    _check(username, password, "viewer")
    row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
    if row is None:
        raise Refused(f"no user {username!r}")
    conn.execute(users.update().where(users.c.id == row.id).values(
        password_hash=generate_password_hash(password), failures=0, locked_until=None))
    conn.execute(web_sessions.delete().where(web_sessions.c.user_id == row.id))


def set_active(conn: Connection, user_id: int, active: bool, role: str | None = None) -> None:
    values: dict[str, Any] = {"active": active}
    if role:
        if role not in ROLES:
            raise Refused(f"no role {role!r}")
        values["role"] = role
    conn.execute(users.update().where(users.c.id == user_id).values(**values))
    if not active:
        conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))


def _check(username: str, password: str, role: str) -> None:
    problems = []
    if not (1 <= len(username) <= 64) or not username.isprintable() or username.strip() != username:
        problems.append("a name is 1 to 64 printable characters")
    if len(password) < MIN_PASSWORD:
        problems.append(f"a password has at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        problems.append(f"a role is one of {', '.join(ROLES)}")
    if problems:
        raise Refused("not a valid user", problems)


def login(conn: Connection, username: str, password: str, now: datetime) -> User:
    """The user, if the password is right and the account may try now; LoginRefused otherwise."""
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)         # the same work: the answer's time says nothing
        raise LoginRefused()
    if row.locked_until and row.locked_until > now:
        raise LoginRefused(int((row.locked_until - now).total_seconds()) + 1)
    if not check_password_hash(row.password_hash, password) or not row.active:
        failures = row.failures + 1
        wait = min(2 ** (failures - FREE_TRIES), MAX_WAIT_S) if failures >= FREE_TRIES else 0
        conn.execute(users.update().where(users.c.id == row.id).values(
            failures=failures, locked_until=now + timedelta(seconds=wait) if wait else None))
        raise LoginRefused(wait)
    conn.execute(users.update().where(users.c.id == row.id).values(failures=0, locked_until=None))
    return User(row.id, row.username, row.role)


def open_session(conn: Connection, user: User, now: datetime, hours: int) -> str:
    """A new session; the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(web_sessions.insert().values(token_hash=_hash(token), user_id=user.id, created_at=now,
                                              last_seen_at=now, expires_at=now + timedelta(hours=hours)))
    return token


def session_user(conn: Connection, token: str, now: datetime, idle_minutes: int) -> User | None:
    """The user of a live session (and it is touched); None when unknown, revoked, idle or over."""
    row = conn.execute(select(web_sessions, users.c.username, users.c.role, users.c.active)
                       .join(users, users.c.id == web_sessions.c.user_id)
                       .where(web_sessions.c.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    if row.expires_at <= now or row.last_seen_at + timedelta(minutes=idle_minutes) <= now:
        conn.execute(web_sessions.update().where(web_sessions.c.token_hash == row.token_hash)
                     .values(revoked_at=now))
        return None
    conn.execute(web_sessions.update().where(web_sessions.c.token_hash == row.token_hash).values(last_seen_at=now))
    return User(row.user_id, row.username, row.role)


def close_session(conn: Connection, token: str, now: datetime) -> None:
    conn.execute(web_sessions.update().where(web_sessions.c.token_hash == _hash(token)).values(revoked_at=now))


def all_users(conn: Connection) -> list[Any]:
    return list(conn.execute(select(users).order_by(users.c.username)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
