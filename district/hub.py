"""The hub process (`vstation district run`): ingest, the outbound loop and the console, on one database.

Composition only: the link feeds the ingest worker; births and new commands
wake the outbound loop; the console writes to the database and wakes it too.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
from typing import Callable

from sqlalchemy.engine import Engine

from .db import migrate
from .db.engine import describe, open_engine
from .ingest.unit import Ingest
from .ingest.worker import Worker
from .link import Delivery, Link
from .outbound import Outbound
from .projections import Projector
from .rounds import Rounds
from .settings import Settings

log = logging.getLogger("district")


def open_database(settings: Settings) -> Engine:
    """The hub's engine, its schema brought to the newest revision."""
    engine = open_engine(settings.database_url)
    revision = migrate.upgrade(engine)
    log.debug("database %s at revision %s", describe(settings.database_url), revision)
    return engine


class Hub:
    """The running parts of one hub worker."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.deliveries: "queue.Queue[Delivery]" = queue.Queue()
        self.link = Link(settings.mqtt, self.deliveries, on_connected=lambda: self.outbound.wake())
        self.outbound = Outbound(engine, self.link, telemetry_days=settings.ingest.telemetry_days)
        self.rounds = Rounds(engine, settings, made=self.outbound.wake)
        ingest = Ingest(engine, settings.ingest, projector=Projector(settings.balances))
        self.worker = Worker(ingest, self.link, self.deliveries, wake=self.wake)

    def wake(self, station: str | None = None) -> None:
        """Something changed (a console action, a birth): rosters may be due, and commands and documents are."""
        self.rounds.wake(station)
        self.outbound.wake(station)

    def start(self) -> "Hub":
        self.outbound.start()
        self.rounds.start()
        self.worker.start()
        self.link.start()
        return self

    def stop(self) -> None:
        self.link.stop()
        self.worker.stop()
        self.rounds.stop()
        self.outbound.stop()


def run_hub(settings: Settings, *, console: bool = True, stop: threading.Event | None = None,
            on_ready: Callable[[str | None], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop`): ingest and outbound, and the console unless told not to."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    engine = open_database(settings)
    hub = Hub(settings, engine).start()
    log.info("district hub %s: linking to %s", settings.district.id, hub.link.where)
    server = None
    try:
        if console:
            from .web.serve import ConsoleServer
            server = ConsoleServer(settings, engine, wake=hub.wake).start()
        if on_ready:
            on_ready(server.url if server else None)
        stop.wait()
    finally:
        if server:
            server.stop()
        hub.stop()
        engine.dispose()
    return 0
