"""What the console shows of the stations: one row each (presence, health, position) and their alerts.

Read-only queries over the hub's tables, one join for the whole district,
so the board of a hundred stations is one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from . import alerts
from .db.schema import events, health, positions, rejects, stations
from .settings import AlertSettings


@dataclass(frozen=True)
class StationRow:
    row: Any
    alerts: list[alerts.Alert]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _query():
    return (select(stations, health.c.received_at, health.c.station_ts, health.c.clock_skew_s, health.c.printer,
                   health.c.printer_since, health.c.reader, health.c.lockers, health.c.locker_faults,
                   health.c.faults_since, health.c.tickets_waiting, health.c.outbox_depth,
                   health.c.outbox_oldest_age_s, health.c.sync_error, positions.c.upto_seq, positions.c.max_seq)
            .select_from(stations.outerjoin(health, health.c.station_id == stations.c.id)
                         .outerjoin(positions, and_(positions.c.station_id == stations.c.id,
                                                    positions.c.epoch == func.coalesce(stations.c.epoch, 0))))
            .where(stations.c.removed_at.is_(None)))


def rows(conn: Connection, now: datetime, limits: AlertSettings) -> list[StationRow]:
    """Every registered station, those with alerts first, then by id."""
    found = [StationRow(r, alerts.of_station(r, now, limits)) for r in conn.execute(_query().order_by(stations.c.id))]
    return sorted(found, key=lambda s: (not s.alerts, s.id))


def one(conn: Connection, station: str, now: datetime, limits: AlertSettings) -> StationRow | None:
    row = conn.execute(_query().where(stations.c.id == station)).first()
    return StationRow(row, alerts.of_station(row, now, limits)) if row else None


def registered(conn: Connection, *, with_removed: bool = False) -> list[Any]:
    """The stations of the registry by id (id, name, state figures), removed ones only if asked."""
    query = select(stations).order_by(stations.c.id)
    if not with_removed:
        query = query.where(stations.c.removed_at.is_(None))
    return list(conn.execute(query))


def event_log(conn: Connection, station: str, *, kind: str | None = None, limit: int = 100) -> list[Any]:
    query = select(events).where(events.c.station_id == station)
    if kind:
        query = query.where(events.c.type.startswith(kind))
    return list(conn.execute(query.order_by(events.c.received_at.desc(), events.c.seq.desc()).limit(limit)))


def event_count(conn: Connection, station: str) -> int:
    return conn.execute(select(func.count()).where(events.c.station_id == station)).scalar() or 0


def refused(conn: Connection) -> list[Any]:
    """What ingest refused, by kind and claimed station, most recent first."""
    return list(conn.execute(select(rejects).order_by(rejects.c.last_at.desc()).limit(50)))
