"""Events stored once, and each station's received position per epoch (docs/mqtt.md, "epoch").

Within one epoch `seq` is contiguous, so the hub tracks, per (station, epoch),
the highest seq below which it holds every event (`upto_seq`). The position
row is locked first (`FOR UPDATE` on PostgreSQL; SQLite's BEGIN IMMEDIATE
locks the whole file), then the pack is inserted with ON CONFLICT DO NOTHING
on both unique keys (event id, and station+epoch+seq), then the position
walks forward over what is stored. All of it is one transaction: a crash
keeps either everything or nothing, and the ack is sent only after commit.
Because the position is worked out from the stored rows, any number of hub
workers may take packs of the same station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ..contract import epoch_of
from ..db.engine import upsert_insert
from ..db.schema import events, positions

WALK_LIMIT = 10_000   # stored seqs looked at per advance; a longer run continues at the next pack


@dataclass(frozen=True)
class Position:
    station: str
    epoch: int
    first_seq: int
    upto_seq: int
    max_seq: int
    replay_from: int | None
    replay_asked_at: datetime | None

    @property
    def gap(self) -> bool:
        """Events above a missing one are stored: something between was lost on the way."""
        return self.max_seq > self.upto_seq


def lock(conn: Connection, station: str, epoch: int, first_seq: int, now: datetime) -> Position:
    """The position of (station, epoch), created at `first_seq` if the hub never saw this epoch; row locked."""
    conn.execute(upsert_insert(conn, positions).values(
        station_id=station, epoch=epoch, first_seq=first_seq, upto_seq=first_seq - 1, max_seq=first_seq - 1,
        updated_at=now).on_conflict_do_nothing())
    row = conn.execute(select(positions).where(positions.c.station_id == station, positions.c.epoch == epoch)
                       .with_for_update()).one()
    return _position(row)


def _position(row: Any) -> Position:
    return Position(row.station_id, row.epoch, row.first_seq, row.upto_seq, row.max_seq, row.replay_from,
                    row.replay_asked_at)


def insert_new(conn: Connection, station: str, pack: list[dict[str, Any]], now: datetime) -> tuple[list[dict], list[dict]]:
    """Insert the events of a pack not stored yet; (the new ones, those whose seq holds another event)."""
    rows = [{"id": e["id"], "station_id": station, "epoch": epoch_of(e), "seq": e["seq"], "type": e["type"],
             "ts": e["ts"], "received_at": now, "data": e["data"]} for e in pack]
    # one cached statement, many parameter sets (SQLAlchemy's insertmanyvalues batches them, RETURNING too)
    inserted = set(conn.execute(upsert_insert(conn, events).on_conflict_do_nothing().returning(events.c.id),
                                rows).scalars())
    new = [e for e in pack if e["id"] in inserted]
    skipped = [e["id"] for e in pack if e["id"] not in inserted]
    known = set(conn.execute(select(events.c.id).where(events.c.id.in_(skipped))).scalars()) if skipped else set()
    reused = [e for e in pack if e["id"] not in inserted and e["id"] not in known]
    return new, reused


def advance(conn: Connection, position: Position, now: datetime) -> Position:
    """Walk `upto_seq` over the stored events that follow it without a hole; store and return the position."""
    upto = position.upto_seq
    seqs = conn.execute(select(events.c.seq).where(
        events.c.station_id == position.station, events.c.epoch == position.epoch, events.c.seq > upto)
        .order_by(events.c.seq).limit(WALK_LIMIT)).scalars()
    for seq in seqs:
        if seq != upto + 1:
            break
        upto = seq
    highest = conn.execute(select(func.max(events.c.seq)).where(
        events.c.station_id == position.station, events.c.epoch == position.epoch)).scalar() or 0
    max_seq = max(upto, highest)
    conn.execute(positions.update().where(positions.c.station_id == position.station,
                                          positions.c.epoch == position.epoch)
                 .values(upto_seq=upto, max_seq=max_seq, updated_at=now))
    return Position(position.station, position.epoch, position.first_seq, upto, max_seq, position.replay_from,
                    position.replay_asked_at)


def note_gap(conn: Connection, position: Position, now: datetime) -> None:
    """Remember the gap after upto_seq: first seen, or a replay of it asked for, at `now`."""
    conn.execute(positions.update().where(positions.c.station_id == position.station,
                                          positions.c.epoch == position.epoch)
                 .values(replay_from=position.upto_seq + 1, replay_asked_at=now))


def gap_news(position: Position, now: datetime, after_s: float) -> str:
    """What a gap means now: "none"; "new" (just seen: note it and wait, since packs of one station
    taken by two hub workers may commit out of order and the hole fill itself); "waiting"; or "due"
    (open for `after_s` since it was noted or last asked about: ask the station for a replay)."""
    if not position.gap:
        return "none"
    if position.replay_from != position.upto_seq + 1 or position.replay_asked_at is None:
        return "new"
    return "due" if (now - position.replay_asked_at).total_seconds() >= after_s else "waiting"


def overdue_gaps(conn: Connection, now: datetime, after_s: float, limit: int = 100) -> list[tuple[str, int]]:
    """(station, epoch) of gaps open for `after_s` that no pack since has brought up (the sweep's list)."""
    rows = conn.execute(select(positions.c.station_id, positions.c.epoch).where(
        positions.c.max_seq > positions.c.upto_seq, positions.c.replay_asked_at.is_not(None),
        positions.c.replay_asked_at <= now - timedelta(seconds=after_s)).limit(limit))
    return [(r.station_id, r.epoch) for r in rows]


def forgotten(conn: Connection, station: str, epoch: int, upto_seq: int, now: datetime) -> tuple[int, int] | None:
    """The station no longer holds its events ≤ `upto_seq` (its replay began later): stop waiting for them.

    The hole is not filled, so it is returned (first, last missing seq) for the caller to count; the
    position then walks on from there.
    """
    row = conn.execute(select(positions).where(positions.c.station_id == station, positions.c.epoch == epoch)
                       .with_for_update()).first()
    if row is None or upto_seq <= row.upto_seq:
        return None
    conn.execute(positions.update().where(positions.c.station_id == station, positions.c.epoch == epoch)
                 .values(upto_seq=upto_seq, max_seq=max(row.max_seq, upto_seq), replay_from=None))
    missing = (row.upto_seq + 1, upto_seq)
    advance(conn, lock(conn, station, epoch, row.first_seq, now), now)
    return missing


def of_station(conn: Connection, station: str) -> list[Position]:
    rows = conn.execute(select(positions).where(positions.c.station_id == station).order_by(positions.c.epoch))
    return [_position(r) for r in rows]
