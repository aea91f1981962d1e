"""The sync process as it stands before the MQTT link: it keeps the outbox and waits.

Until the district link lands (issue 7), events stay in the outbox, which is
exactly what the station must do while the network is down: nothing is lost,
nothing expires. The process reports the backlog so an operator can see it.
"""

from __future__ import annotations

import logging
import signal
import threading

from kiosk import outbox, store
from kiosk.config import Config

log = logging.getLogger("sync")


def run_sync(config: Config, *, stop: threading.Event | None = None) -> int:
    """Hold the sync role on this database until SIGTERM, logging the outbox backlog."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    with store.InstanceLock(config.database_path, "sync"):
        conn = store.open_store(config.database_path)
        try:
            if config.mqtt.enabled:
                log.warning("district link over MQTT (%s:%d) is not in this version yet: "
                            "events are kept in the outbox", config.mqtt.host, config.mqtt.port)
            while not stop.is_set():
                log.info("outbox: %d event(s) waiting, oldest %s s", outbox.depth(conn),
                         _age(outbox.oldest_age_s(conn)))
                stop.wait(config.mqtt.telemetry_seconds)
        finally:
            conn.close()
    return 0


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f}"
