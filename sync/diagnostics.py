"""The `diagnostics` command's answer: the host, the devices as the kiosk last saw them, versions."""

from __future__ import annotations

import platform
import sqlite3
import sys
from importlib import metadata
from typing import Any

from kiosk import __version__
from kiosk.base import device_state, store
from kiosk.config import Config
from kiosk.district import documents

from . import telemetry


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def collect(conn: sqlite3.Connection, config: Config, sync: dict[str, Any]) -> dict[str, Any]:
    """Everything a district technician asks first, as one JSON object."""
    return {
        "host": {**telemetry.host(config.database_path), "machine": platform.machine(),
                 "system": platform.platform(terse=True)},
        "devices": device_state.read_all(conn),
        "versions": {"vstation": __version__, "python": sys.version.split()[0], "paho-mqtt": _version("paho-mqtt"),
                     "sqlite": sqlite3.sqlite_version, "schema": store.schema_version(conn),
                     "documents": documents.versions(conn)},
        "sync": sync,
    }
