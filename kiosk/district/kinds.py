"""What each district document means to the station: its checks and how it is written.

Each kind has `check(body, ctx) -> reasons` (nothing written; an empty list
means applicable) and `write(conn, body, ctx) -> summary`, run inside the
transaction that also records the document and its `config.applied` event.
The JSON shape was already checked against the contract's schema by the
receiver (sync/schemas.py); the checks here are the station's own rules.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from ..base import outbox
from ..config.district import read as read_settings
from ..config.schedule import passed
from ..members import roster


@dataclass(frozen=True)
class Context:
    new_member_points: int          # the seed rule in force (a roster's new members get it)
    today: date                     # the station's local day (an exception dated before it is refused)
    last_seq: int = 0               # the last seq this station's outbox wrote (a roster's as_of_seq is at most it)


@dataclass(frozen=True)
class Kind:
    check: Callable[[dict[str, Any], Context], list[str]]
    write: Callable[[sqlite3.Connection, dict[str, Any], Context], dict[str, Any]]


# -- config: the district-owned sections of station.toml ---------------------
def _check_config(body: dict[str, Any], ctx: Context) -> list[str]:
    """The station.toml reader's problems, and exceptions of the calendar dated before today (unlike the
    file, where they are only warned about: a document is checked when it arrives, so it is news)."""
    values, problems = read_settings(body.get("settings"))
    schedules = [values["queue"].schedule] if "queue" in values else []
    schedules += [s.schedule for s in values.get("services", ())]
    return problems + passed(schedules, ctx.today)


def _write_config(conn: sqlite3.Connection, body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"sections": sorted(body["settings"])}      # the Station reads it from `documents` on its next use


# -- roster: members, cards and district balances -----------------------------
def _check_roster(body: dict[str, Any], ctx: Context) -> list[str]:
    reasons = roster.check_entries(body["members"])[1]
    as_of = body.get("as_of_seq")
    if as_of is not None and as_of > ctx.last_seq:
        # balances "as of" events not yet written would leave out this station's next entries
        reasons.append(f"as_of_seq {as_of} is beyond the last event this station wrote ({ctx.last_seq}): "
                       "the district cannot have counted it")
    return reasons


def _write_roster(conn: sqlite3.Connection, body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    rows, _ = roster.check_entries(body["members"])
    as_of = body.get("as_of_seq")
    report = roster.replace_all(conn, rows, new_member_points=ctx.new_member_points,
                                as_of_seq=outbox.acked_seq(conn) if as_of is None else int(as_of))
    inactive = conn.execute("SELECT COUNT(*) FROM members WHERE active = 0").fetchone()[0]
    return {"added": report.added, "updated": report.updated, "inactive": inactive}


# -- catalog: the goods of the points supermarket ----------------------------
def _check_catalog(body: dict[str, Any], ctx: Context) -> list[str]:
    reasons, seen = [], set()
    for i, g in enumerate(body["goods"]):
        if not re.fullmatch(r"[a-z0-9-]{1,32}", g["id"]):
            reasons.append(f"goods[{i}].id: {g['id']!r} is not 1-32 lower-case letters, digits or '-'")
        if g["id"] in seen:
            reasons.append(f"goods[{i}].id: {g['id']!r} appears twice")
        seen.add(g["id"])
        if not str(g["name"].get("zh", "")).strip():
            reasons.append(f"goods[{i}].name: zh is required")
    return reasons


def _write_catalog(conn: sqlite3.Connection, body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Goods not in the document are taken off offer (their history stays); stock stays the station's."""
    ids = [g["id"] for g in body["goods"]]
    conn.execute(f"UPDATE goods SET active = 0 WHERE id NOT IN ({','.join('?' * len(ids))})", ids)
    for g in body["goods"]:
        conn.execute(
            "INSERT INTO goods (id, name, price, picture, limit_qty, limit_period, active) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price, picture = excluded.picture, "
            "limit_qty = excluded.limit_qty, limit_period = excluded.limit_period, active = excluded.active",
            (g["id"], json.dumps(g["name"], ensure_ascii=False), g["price"], g.get("picture", ""),
             g.get("limit_qty", 0), g.get("limit_period", "month"), int(g.get("active", True))))
    return {"goods": len(ids), "on_offer": sum(bool(g.get("active", True)) for g in body["goods"])}


# -- notices: texts for the idle screen ----------------------------------------
def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time with its offset, or None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def _check_notices(body: dict[str, Any], ctx: Context) -> list[str]:
    reasons, seen = [], set()
    for i, n in enumerate(body["notices"]):
        start, end = parse_time(n["valid_from"]), parse_time(n["valid_until"])
        for name, value in (("valid_from", start), ("valid_until", end)):
            if value is None:
                reasons.append(f"notices[{i}].{name}: {n[name]!r} is not an RFC 3339 time with an offset")
        if start and end and end <= start:
            reasons.append(f"notices[{i}]: valid_until is not after valid_from")
        for name in ("title", "body"):
            if not str(n[name].get("zh", "")).strip():
                reasons.append(f"notices[{i}].{name}: zh is required")
        if n["id"] in seen:
            reasons.append(f"notices[{i}].id: {n['id']!r} appears twice")
        seen.add(n["id"])
    return reasons


def _write_notices(conn: sqlite3.Connection, body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"notices": len(body["notices"])}           # read from `documents` by documents.notices()


KINDS: dict[str, Kind] = {
    "config": Kind(_check_config, _write_config),
    "roster": Kind(_check_roster, _write_roster),
    "catalog": Kind(_check_catalog, _write_catalog),
    "notices": Kind(_check_notices, _write_notices),
}
