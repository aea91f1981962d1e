"""Signed commands to one station (docs/mqtt.md, "Commands") and what became of them.

A command is checked against the allowlist's args schema (`sync.schemas.
COMMAND_ARGS`), signed with that station's key (`sync.signing`), and stored
as `pending` with its exact payload in the same transaction as whatever
asked for it; the outbound loop publishes it and marks it `sent`. Its result
arrives on `cmd/{id}/result` and again as a `command.result` event: the first
one is its outcome. A command past its expiry with no result is shown as
unanswered; it can never run late (the station refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sync import schemas, signing

from .db.schema import commands, stations
from .errors import Refused
from .outgoing import Outgoing

DEFAULT_LIFETIME_S = 300
NAMES = tuple(schemas.COMMAND_ARGS)


def create(conn: Connection, station: str, name: str, args: dict[str, Any], *, by: str, now: datetime,
           lifetime_s: int = DEFAULT_LIFETIME_S) -> Outgoing:
    """Check, sign and store one command as pending; the message to publish after commit."""
    row = conn.execute(select(stations.c.command_key).where(stations.c.id == station,
                                                            stations.c.removed_at.is_(None))).first()
    if row is None:
        raise Refused(f"no registered station {station!r}")
    if name not in schemas.COMMAND_ARGS:
        raise Refused(f"{name!r} is not a command stations run", [f"one of: {', '.join(NAMES)}"])
    problems = schemas.errors(schemas.COMMAND_ARGS[name], args, "args")
    if problems:
        raise Refused(f"the arguments of {name} are not valid", problems[:10])
    if not 10 <= lifetime_s <= 86400:
        raise Refused("a command lives 10 s to 24 h")
    cmd = signing.command(station, name, args, lifetime_s=lifetime_s, now=now)
    payload = signing.envelope(row.command_key.encode("ascii"), cmd)
    conn.execute(commands.insert().values(
        id=cmd["id"], station_id=station, name=name, args=args, created_at=now, created_by=by,
        expires_at=now + timedelta(seconds=lifetime_s), payload=payload.decode("utf-8"), status="pending"))
    return Outgoing(signing.topic(station, cmd["id"]), payload, command_id=cmd["id"])


def pending(conn: Connection, now: datetime) -> list[Outgoing]:
    """Commands written but not yet handed to the broker, still alive."""
    rows = conn.execute(select(commands.c.id, commands.c.station_id, commands.c.payload)
                        .where(commands.c.status == "pending", commands.c.expires_at > now)
                        .order_by(commands.c.created_at))
    return [Outgoing(signing.topic(r.station_id, r.id), r.payload.encode("utf-8"), command_id=r.id) for r in rows]


def mark_sent(conn: Connection, command_id: str, now: datetime) -> None:
    conn.execute(commands.update().where(commands.c.id == command_id, commands.c.status == "pending")
                 .values(status="sent", sent_at=now))


def record_result(conn: Connection, station: str, result: dict[str, Any], now: datetime) -> Any | None:
    """The station's answer to a command (from cmd/{id}/result or a command.result event); None: not ours.

    The first answer is the outcome; the same one again (the event after the topic) changes nothing.
    Returns the command (name, args, and `first`: whether this was its first answer).
    """
    found = conn.execute(select(commands.c.name, commands.c.args, commands.c.result_at)
                         .where(commands.c.id == str(result.get("id")), commands.c.station_id == station)).first()
    if found is None:
        return None
    if found.result_at is None:
        conn.execute(commands.update().where(commands.c.id == result["id"]).values(
            status=result.get("status") or "failed", reason=result.get("reason"),
            result=result.get("result") or {}, result_at=now))
    return Answered(found.name, found.args, found.result_at is None)


@dataclass(frozen=True)
class Answered:
    name: str
    args: dict[str, Any]
    first: bool


def recent(conn: Connection, station: str | None = None, limit: int = 50) -> list[Any]:
    query = select(commands).order_by(commands.c.created_at.desc()).limit(limit)
    if station:
        query = query.where(commands.c.station_id == station)
    return list(conn.execute(query))


def get(conn: Connection, command_id: str) -> Any:
    return conn.execute(select(commands).where(commands.c.id == command_id)).first()
