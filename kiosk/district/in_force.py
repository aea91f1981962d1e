"""The config in force: station.toml with the district's latest applied `config` document over it.

The kiosk asks for it on every ticket, tap and screen. Reading the applied
document each time would cost a query per use, so a thread looks again only
when its connection has seen the database change: another process committed
(`PRAGMA data_version` moved, which is how the sync process's applied
document shows up) or this connection wrote something itself.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Callable

from ..base.errors import VStationError
from ..config import Config
from . import documents

log = logging.getLogger(__name__)


class ConfigInForce:
    """Hands out the config in force; `on_change(config, version)` hears of each new one."""

    def __init__(self, base: Config, *, on_change: Callable[[Config, int], None] | None = None) -> None:
        self.base = base
        self.config, self.version = base, 0
        self._on_change = on_change or (lambda config, version: None)
        self._seen = threading.local()      # per thread: (data_version, total_changes) last looked at
        self._lock = threading.Lock()

    def get(self, conn: sqlite3.Connection) -> Config:
        """The config in force, looking at the applied document only when the database changed."""
        try:
            mark = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
            if getattr(self._seen, "mark", None) != mark:
                self._seen.mark = mark
                self._refresh(conn)
        except (sqlite3.Error, VStationError):      # keep the config in force; the next change looks again
            log.exception("district config could not be read; keeping version %d", self.version)
        return self.config

    def _refresh(self, conn: sqlite3.Connection) -> None:
        if documents.applied_version(conn, "config") == self.version:
            return
        config, version = documents.effective_config(conn, self.base)
        with self._lock:
            if version == self.version:
                return
            self.config, self.version = config, version
        log.info("district config version %d in force", version)
        self._on_change(config, version)
