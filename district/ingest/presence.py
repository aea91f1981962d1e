"""A station's retained `status`: birth, goodbye and last will (docs/mqtt.md, "status").

The hub's own receive time decides "online since" and "last seen": the
last will carries no time, and a station's clock may be wrong. A retained
copy delivered when the hub (re)subscribes is old news: it is applied but
does not count as "seen now". A birth with a larger epoch than the hub knew
means the station's history was rewound by a restore: flagged, and the old
epoch's events kept.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from ..contract import LEGACY_EPOCH
from ..db.schema import stations
from . import positions

log = logging.getLogger("district.ingest")


def apply(conn: Connection, station: Row, status: dict[str, Any], *, now: datetime, retained: bool) -> bool:
    """Record one status payload; True for a birth (the caller then brings the station's documents up to date)."""
    values: dict[str, Any] = {} if retained else {"last_seen_at": now}
    online = bool(status["online"])
    if online != station.online or station.online_changed_at is None:
        values.update(online=online, online_changed_at=now)
    if online:
        values.update(version=status.get("version"), started=status.get("started"), **_session(station, status))
        values.update(_epoch(conn, station, status, now))
    elif "session" in status and station.session is not None and status["session"] < station.session:
        values.pop("online", None)         # the goodbye of an older connection arriving late
        values.pop("online_changed_at", None)
    if values:                             # a retained copy of what the hub knew changes nothing
        conn.execute(stations.update().where(stations.c.id == station.id).values(**values))
    return online


def _session(station: Row, status: dict[str, Any]) -> dict[str, Any]:
    """The connection count; a jump by more than one is a connection the hub did not see."""
    session = status.get("session")
    if session is None:
        return {}
    missed = station.sessions_missed
    if station.session is not None and session > station.session + 1:
        missed += session - station.session - 1
    return {"session": session, "sessions_missed": missed}


def _epoch(conn: Connection, station: Row, status: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The birth's epoch: a new position from its first seq, and the restore flag when it grew."""
    epoch = int(status.get("epoch", LEGACY_EPOCH))
    first_seq = int(status.get("epoch_first_seq", 1))
    if "epoch" in status:
        positions.lock(conn, station.id, epoch, first_seq, now)
    if station.epoch is None or epoch == station.epoch:
        return {"epoch": epoch}
    if epoch < station.epoch:
        log.warning("%s: a birth of epoch %d, older than the known %d: ignored", station.id, epoch, station.epoch)
        return {}
    log.warning("%s: new epoch %d (was %d): its database was restored from a backup", station.id, epoch,
                station.epoch)
    return {"epoch": epoch, "previous_epoch": station.epoch, "restored_at": now}


def seen_epoch(conn: Connection, station: Row, epoch: int, now: datetime) -> None:
    """An event of an epoch newer than the station's: the same restore flag as a birth would raise."""
    if station.epoch is None:
        conn.execute(stations.update().where(stations.c.id == station.id).values(epoch=epoch))
    elif epoch > station.epoch:
        log.warning("%s: events of a new epoch %d (was %d): restored from a backup", station.id, epoch, station.epoch)
        conn.execute(stations.update().where(stations.c.id == station.id)
                     .values(epoch=epoch, previous_epoch=station.epoch, restored_at=now))
