"""Device states the kiosk process reports for the sync process's telemetry.

Only the kiosk opens the hardware; the sync process has none. So the kiosk
writes each device's state here (on every change, and at least once per
telemetry interval as a heartbeat) and the sync process reads the table.
Names: "printer", "reader", and "locker.<slot id>" for each locker slot.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Mapping

from .clock import rfc3339, utc_now
from .store import transaction


def record(conn: sqlite3.Connection, name: str, state: str,
           detail: Mapping[str, Any] | None = None) -> None:
    """Upsert one device's state in its own short transaction (state words as in docs/mqtt.md)."""
    payload = json.dumps(dict(detail or {}), ensure_ascii=False, separators=(",", ":"))
    with transaction(conn):
        conn.execute("INSERT INTO device_state (name, state, detail, updated_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET state = excluded.state, detail = excluded.detail, "
                     "updated_at = excluded.updated_at",
                     (name, str(state), payload, rfc3339(utc_now())))


def read_all(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every recorded device: name → {"state", "detail", "updated_at"}."""
    rows = conn.execute("SELECT name, state, detail, updated_at FROM device_state ORDER BY name").fetchall()
    return {r[0]: {"state": r[1], "detail": json.loads(r[2]), "updated_at": r[3]} for r in rows}
