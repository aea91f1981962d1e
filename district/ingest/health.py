"""Telemetry: the latest health of each station (table `health`) and its history for the charts.

`clock_skew_s` is the station's `ts` minus the hub's receive time: a station
whose clock is wrong is shown as such, and every "since" on the board is the
hub's own time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from ..db.engine import upsert_insert
from ..db.schema import health, telemetry

FAULTY = ("fault",)


def skew_s(station_ts: str | None, now: datetime) -> float | None:
    """How far the station's clock is from the hub's, in seconds (None when its ts is unreadable)."""
    try:
        moment = datetime.fromisoformat(station_ts or "")
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return round((moment - now).total_seconds(), 1)


def record(conn: Connection, station: str, payload: dict[str, Any], now: datetime) -> None:
    """Store one telemetry payload: the history row and the station's latest health."""
    host, outbox, lockers = payload["host"], payload["outbox"], payload["lockers"]
    faults = sum(1 for state in lockers.values() if state in FAULTY)
    load = host.get("load") or [None]
    conn.execute(telemetry.insert().values(
        station_id=station, received_at=now, station_ts=payload["ts"], printer=payload["printer"],
        tickets_waiting=payload["tickets_waiting"], outbox_depth=outbox["depth"],
        outbox_oldest_age_s=outbox["oldest_age_s"], cpu_temp_c=host.get("cpu_temp_c"), load1=load[0],
        mem_available_kb=host.get("mem_available_kb")))
    before = conn.execute(select(health.c.printer, health.c.printer_since, health.c.locker_faults,
                                 health.c.faults_since).where(health.c.station_id == station)).first()
    printer_since = before.printer_since if before and before.printer == payload["printer"] else now
    faults_since = (before.faults_since if before and before.locker_faults and faults else now) if faults else None
    values = dict(received_at=now, station_ts=payload["ts"], clock_skew_s=skew_s(payload["ts"], now),
                  printer=payload["printer"], printer_since=printer_since, reader=payload["reader"], lockers=lockers,
                  locker_faults=faults, faults_since=faults_since, tickets_waiting=payload["tickets_waiting"],
                  outbox_depth=outbox["depth"], outbox_oldest_age_s=outbox["oldest_age_s"],
                  acked_seq=outbox["acked_seq"], last_seq=outbox["last_seq"],
                  sync_error=payload["sync"]["last_error"], payload=payload)
    stmt = upsert_insert(conn, health).values(station_id=station, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["station_id"], set_=values))


def prune(conn: Connection, older_than: datetime) -> int:
    """Forget telemetry history older than `older_than` (the latest health stays)."""
    return conn.execute(delete(telemetry).where(telemetry.c.received_at < older_than)).rowcount


def history(conn: Connection, station: str, since: datetime) -> list[Any]:
    return list(conn.execute(select(telemetry).where(telemetry.c.station_id == station,
                                                     telemetry.c.received_at >= since)
                             .order_by(telemetry.c.received_at)))


def retention(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)
