"""The ingest unit: one message from a station in, one transaction, then what to publish.

`Ingest.handle` is the whole rule book of the upstream direction and holds no
state between messages: everything it knows is in the database, so a second
worker process (an MQTT shared subscription) can take messages of the same
stations beside it. What it returns is published only after its transaction
committed: the `events/ack`, an `events.replay` command for a gap. The
broker's PUBACK of the message goes last (manual acks): a hub killed at any
instant gets the message again and stores nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine, Row

from kiosk.base.clock import utc_now
from sync import schemas
from sync.topics import Topics

from .. import commands, contract, documents
from ..outgoing import Outgoing
from ..projections import Projector
from ..db.engine import writing
from ..db.schema import stations
from ..settings import IngestSettings
from . import health, positions, presence, rejects

log = logging.getLogger("district.ingest")


@dataclass(frozen=True)
class Received:
    """One message as the broker delivered it."""
    topic: str
    payload: bytes
    retained: bool = False


@dataclass
class Handled:
    """What to publish after the commit, and whether the station's documents should be looked at (a birth)."""
    outgoing: list[Outgoing] = field(default_factory=list)
    birth_of: str | None = None
    stored: int = 0
    projected: bool = False           # new events changed what the district sends back (balances: rosters)


class Ingest:
    """Applies messages from stations to the database; stateless between messages."""

    def __init__(self, engine: Engine, settings: IngestSettings, *, clock: Callable[[], datetime] = utc_now,
                 projector: Callable[[Connection, str, dict[str, Any], datetime], bool] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.project = projector or Projector()      # what a new event means to the ledger, requests, stock

    def handle(self, msg: Received) -> Handled:
        """Apply one message in one transaction; database errors propagate (the caller retries later)."""
        return self.handle_batch([msg])[0]

    def handle_batch(self, batch: list[Received]) -> list[Handled]:
        """Apply several messages in one transaction (one commit, one fsync), in order per station.

        The messages are taken station by station, so two workers lock the stations' positions in the
        same order and never wait on each other in a circle.
        """
        now = self.clock()
        order = sorted(range(len(batch)), key=lambda i: _claimed(batch[i].topic) or "")
        handled: list[Handled] = [Handled()] * len(batch)
        with writing(self.engine) as conn:
            for i in order:
                handled[i] = self._one(conn, batch[i], now)
        return handled

    def _one(self, conn: Connection, msg: Received, now: datetime) -> Handled:
        where = contract.address(msg.topic)
        if where is None:
            rejects.count(conn, "wrong_topic", _claimed(msg.topic), msg.topic, "not a topic stations publish on", now)
            return Handled()
        station = _locked(conn, where.station)
        if station is None:
            rejects.count(conn, "unknown_station", where.station, msg.topic, f"{len(msg.payload)} bytes", now)
            return Handled()
        if len(msg.payload) > self.settings.max_payload_bytes:
            rejects.count(conn, "oversized", where.station, msg.topic, f"{len(msg.payload)} bytes", now)
            return Handled()
        try:
            return self._leaf(conn, station, where, msg, now)
        except contract.Unreadable as exc:
            rejects.count(conn, "malformed", where.station, msg.topic, str(exc), now)
            return Handled()

    def _leaf(self, conn: Connection, station: Row, where: contract.Address, msg: Received, now: datetime) -> Handled:
        limit = self.settings.max_payload_bytes
        if where.leaf == "events":
            return self._events(conn, station, contract.read(contract.EVENTS, msg.payload, limit)["events"], now)
        if where.leaf == "telemetry":
            health.record(conn, station.id, contract.read(schemas.TELEMETRY, msg.payload, limit), now)
            _seen(conn, station.id, now)
            return Handled()
        if where.leaf == "status":
            if not msg.payload:                       # a retained status cleared: nothing to learn
                return Handled()
            birth = presence.apply(conn, station, contract.read(contract.STATUS, msg.payload, limit), now=now,
                                   retained=msg.retained)
            return Handled(birth_of=station.id if birth else None)
        result = contract.read(schemas.COMMAND_RESULT, msg.payload, limit)
        if result["id"] != where.command_id or not _answer(conn, station, result, now):
            rejects.count(conn, "unknown_command", station.id, msg.topic, f"command {result['id']!r}", now)
        _seen(conn, station.id, now)
        return Handled()

    def _events(self, conn: Connection, station: Row, pack: list[dict[str, Any]], now: datetime) -> Handled:
        """Store a pack once, per epoch; ack each epoch's position; ask for a replay of a gap."""
        handled = Handled()
        by_epoch: dict[int, list[dict[str, Any]]] = {}
        for event in pack:
            by_epoch.setdefault(contract.epoch_of(event), []).append(event)
        current = station.epoch
        for epoch, group in sorted(by_epoch.items()):
            if current is None or epoch > current:
                presence.seen_epoch(conn, station, epoch, now)
                current = epoch
            position = positions.lock(conn, station.id, epoch, _first_seq(epoch, group), now)
            new, reused = positions.insert_new(conn, station.id, group, now)
            for event in reused:
                rejects.count(conn, "seq_reused", station.id, Topics(station.id).events,
                              f"epoch {epoch} seq {event['seq']} holds another event than {event['id']}", now)
            for event in new:
                _effects(conn, station, event, now)
                handled.projected |= self.project(conn, station.id, event, now)
            position = positions.advance(conn, position, now)
            handled.stored += len(new)
            handled.outgoing.append(Outgoing(Topics(station.id).events_ack, contract.ack(position.upto_seq, epoch)))
            if epoch == current:
                handled.outgoing += self._gap(conn, position, now)
        _seen(conn, station.id, now)
        return handled

    def _gap(self, conn: Connection, position: positions.Position, now: datetime) -> list[Outgoing]:
        """A gap of the station's current epoch: noted when new, a replay asked for when it stayed open."""
        news = positions.gap_news(position, now, self.settings.replay_after_s)
        if news == "new":
            positions.note_gap(conn, position, now)
        if news != "due":
            return []
        log.warning("%s: gap after seq %d of epoch %d (have up to %d): asking for a replay", position.station,
                    position.upto_seq, position.epoch, position.max_seq)
        positions.note_gap(conn, position, now)
        return [commands.create(conn, position.station, "events.replay", _replay_args(position), by="ingest",
                                now=now)]

    def sweep_gaps(self) -> list[Outgoing]:
        """Gaps left open for `replay_after_s` with no pack since: ask those stations for a replay."""
        now = self.clock()
        outgoing: list[Outgoing] = []
        with writing(self.engine) as conn:
            for station_id, epoch in positions.overdue_gaps(conn, now, self.settings.replay_after_s):
                station = _locked(conn, station_id)
                if station is None or station.epoch != epoch:
                    continue
                position = positions.lock(conn, station_id, epoch, 1, now)
                outgoing += self._gap(conn, position, now)
        return outgoing


def _replay_args(position: positions.Position) -> dict[str, Any]:
    """From the first missing seq; with the epoch when the contract's args take one."""
    args: dict[str, Any] = {"from_seq": position.upto_seq + 1}
    if "epoch" in schemas.COMMAND_ARGS["events.replay"].get("properties", {}) and position.epoch:
        args["epoch"] = position.epoch
    return args


def _first_seq(epoch: int, group: list[dict[str, Any]]) -> int:
    """Where an epoch never announced by a birth starts: its first event seen; a station from before
    epochs numbered from 1 for ever, so nothing below its first pack is skipped unseen."""
    return 1 if epoch == contract.LEGACY_EPOCH else min(e["seq"] for e in group)


def _effects(conn: Connection, station: Row, event: dict[str, Any], now: datetime) -> None:
    """What a new event tells the hub's other parts: document outcomes, command results."""
    if event["type"] in ("config.applied", "config.rejected"):
        documents.record_outcome(conn, station.id, event["type"], event["data"], now)
    elif event["type"] == "command.result":
        _answer(conn, station, event["data"], now)


def _answer(conn: Connection, station: Row, result: dict[str, Any], now: datetime) -> bool:
    """Record a command's result; a replay that began after the seq asked for means those events are gone."""
    answered = commands.record_result(conn, station.id, result, now)
    if answered is None:
        return False
    replayed = result.get("result") or {}
    if answered.first and answered.name == "events.replay" and result.get("status") == "done" \
            and isinstance(replayed.get("from_seq"), int) and replayed["from_seq"] > answered.args["from_seq"]:
        epoch = station.epoch if station.epoch is not None else contract.LEGACY_EPOCH
        missing = positions.forgotten(conn, station.id, epoch, replayed["from_seq"] - 1, now)
        if missing:
            rejects.count(conn, "lost", station.id, Topics(station.id).events,
                          f"epoch {epoch} seq {missing[0]}-{missing[1]}: the station had forgotten them "
                          "(acknowledged elsewhere) before the hub stored them", now)
    return True


def _locked(conn: Connection, station: str) -> Row | None:
    """The station's row, locked for the rest of the transaction (None: unknown or removed).

    The per-station lock, taken first by every message: two hub workers applying messages of one
    station (a shared subscription hands packs to either) wait on each other here, and since a batch
    takes its stations in sorted order, never in a circle. SQLite's BEGIN IMMEDIATE locks everything.
    """
    return conn.execute(select(stations).where(stations.c.id == station, stations.c.removed_at.is_(None))
                        .with_for_update()).first()


def _seen(conn: Connection, station: str, now: datetime) -> None:
    conn.execute(stations.update().where(stations.c.id == station).values(last_seen_at=now))


def _claimed(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2][:64] if len(parts) > 2 and contract.STATION_ID.fullmatch(parts[2]) else None
