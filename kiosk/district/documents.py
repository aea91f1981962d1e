"""The district's documents (config, roster, catalog, notices): applied if newer, else the last good one stays.

Each document carries an integer `version`. One `BEGIN IMMEDIATE` transaction
checks it against the applied one, checks the content by the station's rules
(kiosk/district/kinds.py), writes it and appends `config.applied`
{doc, version, summary}. A stale, invalid or unreadable document changes
nothing and is reported as `config.rejected` {doc, version, reasons}; the
same version delivered again (a retained message after a reconnect) is
recognised by its hash and passes silently. Readers (the Station, the idle
screen) read what is applied from here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..base import outbox, store
from ..base.clock import rfc3339, utc_now
from ..config import Config
from ..config.district import overlay
from .kinds import KINDS, Context, parse_time

log = logging.getLogger(__name__)
MAX_REASONS = 20


@dataclass(frozen=True)
class Outcome:
    doc: str
    version: int | None
    status: str                       # applied | unchanged | stale | rejected
    reasons: tuple[str, ...] = ()
    code: str | None = None           # why it was rejected, for machines (config.rejected `code`)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    doc: str
    version: int
    body: dict[str, Any]
    sha256: str
    applied_at: str


@dataclass(frozen=True)
class Notice:
    id: str
    title: dict[str, str]             # zh, and bo/en when the district gave them
    body: dict[str, str]
    valid_from: datetime
    valid_until: datetime


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def applied(conn: sqlite3.Connection, doc: str) -> Applied | None:
    """The document of this kind in force, or None when the district never sent a good one."""
    row = conn.execute("SELECT kind, version, body, sha256, applied_at FROM documents WHERE kind = ?",
                       (doc,)).fetchone()
    return Applied(row[0], row[1], json.loads(row[2]), row[3], row[4]) if row else None


def applied_version(conn: sqlite3.Connection, doc: str) -> int:
    """The version in force (0: none); cheap enough to ask on every use."""
    row = conn.execute("SELECT version FROM documents WHERE kind = ?", (doc,)).fetchone()
    return row[0] if row else 0


def versions(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every applied document: kind → {version, sha256, applied_at} (config.resend, diagnostics)."""
    rows = conn.execute("SELECT kind, version, sha256, applied_at FROM documents ORDER BY kind").fetchall()
    return {r[0]: {"version": r[1], "sha256": r[2], "applied_at": r[3]} for r in rows}


def apply(conn: sqlite3.Connection, doc: str, body: dict[str, Any], *, sha256: str, new_member_points: int,
          timezone: str, now: datetime | None = None) -> Outcome:
    """Apply a schema-valid document if it is newer and passes the station's rules; report either way.

    `timezone` is the station's: the day an exception of the calendar must not be before."""
    now = now or utc_now()
    version = int(body["version"])
    ts = rfc3339(now)
    kind = KINDS[doc]
    today = now.astimezone(ZoneInfo(timezone)).date()
    try:
        with store.transaction(conn):
            ctx = Context(new_member_points=new_member_points, today=today, last_seq=outbox.last_seq(conn))
            current = applied(conn, doc)
            if current and current.version == version and current.sha256 == sha256:
                return Outcome(doc, version, "unchanged")
            if current and version <= current.version:
                raise _Refused("stale", [f"version {version} is not newer than the applied version {current.version}"])
            reasons = _check(kind, body, ctx)
            if reasons:
                raise _Refused("rules", reasons)
            summary = kind.write(conn, body, ctx)
            conn.execute("INSERT INTO documents (kind, version, body, sha256, applied_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (kind) DO UPDATE SET version = excluded.version, body = excluded.body, "
                         "sha256 = excluded.sha256, applied_at = excluded.applied_at",
                         (doc, version, json.dumps(body, ensure_ascii=False), sha256, ts))
            outbox.append(conn, "config.applied", {"doc": doc, "version": version, "summary": summary}, ts=ts)
    except _Refused as refused:
        return reject(conn, doc, version, refused.reasons, code=refused.code)
    except (sqlite3.IntegrityError, OverflowError) as exc:   # a rule of the database the checks did not foresee
        return reject(conn, doc, version, [f"cannot be written: {exc}"], code="cannot_write")
    log.info("district %s version %d applied: %s", doc, version, summary)
    return Outcome(doc, version, "applied", summary=summary)


def reject(conn: sqlite3.Connection, doc: str, version: int | None, reasons: list[str], *,
           code: str = "invalid") -> Outcome:
    """Report a document that changes nothing (`config.rejected` with its reasons and code), in its own transaction.

    `code`: too_large, not_json, too_deep, unknown_schema, invalid (the schema), stale, rules (the
    station's own checks) or cannot_write.
    """
    reasons = [r[:300] for r in reasons[:MAX_REASONS]] or ["no reason given"]
    with store.transaction(conn):
        outbox.append(conn, "config.rejected", {"doc": doc, "version": version, "code": code, "reasons": reasons})
    log.warning("district %s version %s refused (%s): %s", doc, version, code, "; ".join(reasons))
    return Outcome(doc, version, "stale" if code == "stale" else "rejected", tuple(reasons), code)


def resend(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Report every applied document again as `config.applied` (resent: true); return the versions."""
    found = versions(conn)
    with store.transaction(conn):
        for doc, info in found.items():
            outbox.append(conn, "config.applied", {"doc": doc, "version": info["version"],
                                                   "summary": {"resent": True, "sha256": info["sha256"]}})
    return found


def _check(kind: Any, body: dict[str, Any], ctx: Context) -> list[str]:
    try:
        return kind.check(body, ctx)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:    # a shape the schema should have caught
        return [f"malformed document ({type(exc).__name__}: {exc})"]


class _Refused(Exception):
    def __init__(self, code: str, reasons: list[str]) -> None:
        super().__init__(code)
        self.code, self.reasons = code, reasons


# -- readers -------------------------------------------------------------------
def effective_config(conn: sqlite3.Connection, base: Config) -> tuple[Config, int]:
    """`base` with the applied district config over it, and that document's version (0: none)."""
    doc = applied(conn, "config")
    return (base, 0) if doc is None else (overlay(base, doc.body["settings"]), doc.version)


def notices(conn: sqlite3.Connection, now: datetime | None = None) -> list[Notice]:
    """The district's notices valid now (valid_from ≤ now < valid_until), in the document's order."""
    doc = applied(conn, "notices")
    if doc is None:
        return []
    now = now or utc_now()
    found = []
    for n in doc.body["notices"]:
        start, end = parse_time(n["valid_from"]), parse_time(n["valid_until"])
        if start and end and start <= now < end:
            found.append(Notice(n["id"], dict(n["title"]), dict(n["body"]), start, end))
    return found
