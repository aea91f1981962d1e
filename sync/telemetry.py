"""Telemetry (QoS 0, every `telemetry_seconds`): how the station and its Pi are doing.

Host figures come from /proc and /sys (a value the machine does not offer is
null); device states from the `device_state` table the kiosk writes (a state
older than three telemetry intervals is "unknown": the kiosk stopped
reporting); the queue and outbox figures from the database.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.base import device_state, outbox
from kiosk.base.clock import local_day, now_rfc3339, utc_now
from kiosk.config import Config
from kiosk.tickets.stats import waiting

THERMAL = Path("/sys/class/thermal")
STALE_INTERVALS = 3
UNKNOWN = "unknown"


def cpu_temperature_c(thermal: Path = THERMAL) -> float | None:
    """The CPU's temperature in °C (the cpu-thermal zone, else the first zone), or None."""
    zones = sorted(thermal.glob("thermal_zone*")) if thermal.is_dir() else []
    for zone in sorted(zones, key=lambda z: _read(z / "type") not in ("cpu-thermal", "x86_pkg_temp")):
        text = _read(zone / "temp")
        if text and text.lstrip("-").isdigit():
            return round(int(text) / 1000, 1)
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def memory_kb(meminfo: Path = Path("/proc/meminfo")) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in kB from /proc/meminfo."""
    values: dict[str, int] = {}
    for line in (_read(meminfo) or "").splitlines():
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable") and rest.split():
            values[name] = int(rest.split()[0])
    return values.get("MemTotal"), values.get("MemAvailable")


def host(db_path: Path) -> dict[str, Any]:
    """Uptime, CPU temperature, load, memory and the free space where the database lives."""
    uptime = _read(Path("/proc/uptime"))
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    try:
        fs = os.statvfs(db_path.parent)
        free: int | None = fs.f_bavail * fs.f_frsize
    except OSError:
        free = None
    total, available = memory_kb()
    return {"uptime_s": float(uptime.split()[0]) if uptime else None, "cpu_temp_c": cpu_temperature_c(),
            "load": load, "mem_total_kb": total, "mem_available_kb": available, "disk_free_bytes": free}


def devices(conn: sqlite3.Connection, slot_ids: list[str], max_age_s: float,
            now: datetime | None = None) -> dict[str, Any]:
    """Printer, reader and locker states as the kiosk last recorded them ("unknown" when stale)."""
    now = now or datetime.now(timezone.utc)
    recorded = device_state.read_all(conn)

    def state(name: str) -> str:
        row = recorded.get(name)
        if row is None or (now - datetime.fromisoformat(row["updated_at"])).total_seconds() > max_age_s:
            return UNKNOWN
        return row["state"]

    return {"printer": state("printer"), "reader": state("reader"),
            "lockers": {slot: state(f"locker.{slot}") for slot in slot_ids}}


def tickets_waiting(conn: sqlite3.Connection, zone: str, now: datetime | None = None) -> int:
    """Tickets still waiting today (the station's local day)."""
    return waiting(conn, local_day(now or utc_now(), ZoneInfo(zone)))


def collect(conn: sqlite3.Connection, config: Config, *, started: float, sync: dict[str, Any],
            last_seq: int) -> dict[str, Any]:
    """One telemetry payload (schema: sync.schemas.TELEMETRY); `started` is a monotonic time."""
    age = outbox.oldest_age_s(conn)
    return compose(
        started=started, host=host(config.database_path),
        devices=devices(conn, [s.id for s in config.lockers.slots], STALE_INTERVALS * config.mqtt.telemetry_seconds),
        tickets_waiting=tickets_waiting(conn, config.station.timezone),
        outbox={"depth": outbox.depth(conn), "oldest_age_s": None if age is None else round(age, 1),
                "acked_seq": outbox.acked_seq(conn), "last_seq": last_seq, "epoch": outbox.current_epoch(conn).epoch},
        sync=sync)


def compose(*, started: float, host: dict[str, Any], devices: dict[str, Any], tickets_waiting: int,
            outbox: dict[str, Any], sync: dict[str, Any]) -> dict[str, Any]:
    """The payload from its parts, in the contract's order (pure: the fleet's station twins use it too)."""
    return {"ts": now_rfc3339(), "uptime_s": round(time.monotonic() - started, 1), "host": host, **devices,
            "tickets_waiting": tickets_waiting, "outbox": outbox, "sync": sync}
