"""The outbound loop: publishes what the database says is due, and only then marks it done.

Commands written as `pending` (by the console, or ingest's replay requests)
and documents a station's retained topic does not yet hold are published
here; each is marked sent or published after the broker's PUBACK. A crash
between the write and the publish only delays it to the next round. The loop
runs when woken (a console action, a birth, a reconnect) and every
`ROUND_S` seconds, and forgets old telemetry once an hour.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine

from kiosk.base.clock import utc_now

from . import commands, documents
from .db.engine import is_unavailable, writing
from .ingest import health
from .link import Link
from .loop import Loop

log = logging.getLogger("district.outbound")

ROUND_S = 30.0
PUBACK_WAIT_S = 10.0
PRUNE_EVERY_S = 3600.0


class Outbound(Loop):
    def __init__(self, engine: Engine, link: Link, *, telemetry_days: int,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.engine, self.link, self.clock = engine, link, clock
        self.telemetry_days = telemetry_days
        super().__init__("district-outbound")
        self._pruned = 0.0

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self._wake.wait(ROUND_S)
            self._wake.clear()
            if self.stop_event.is_set() or not self.link.connected:
                continue
            try:
                self.round()
            except Exception as exc:
                if is_unavailable(exc):
                    log.error("database unavailable (%s); trying again later", str(exc).splitlines()[0][:200])
                else:
                    log.exception("outbound round failed")
                self.stop_event.wait(2.0)
                self._wake.set()

    def round(self) -> int:
        """Publish every pending command and every document due; how many went."""
        now = self.clock()
        with writing(self.engine) as conn:
            due_commands = commands.pending(conn, now)
            due_documents = documents.due(conn)
        sent = 0
        for message in due_commands:
            if self._published(message.topic, message.payload, False):
                with writing(self.engine) as conn:
                    commands.mark_sent(conn, message.command_id or "", self.clock())
                sent += 1
        for station, kind, message in due_documents:
            if self._published(message.topic, message.payload, True):
                with writing(self.engine) as conn:
                    documents.mark_published(conn, station, kind, documents.version_of(message), self.clock())
                log.info("published %s v%d to %s (retained)", kind, documents.version_of(message), station)
                sent += 1
        self._prune()
        return sent

    def _published(self, topic: str, payload: bytes, retain: bool) -> bool:
        info = self.link.publish(topic, payload, retain=retain)
        try:
            info.wait_for_publish(PUBACK_WAIT_S)
        except (RuntimeError, ValueError) as exc:
            log.warning("could not publish on %s (%s); next round", topic, exc)
            return False
        return info.is_published()

    def _prune(self) -> None:
        if time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        with writing(self.engine) as conn:
            gone = health.prune(conn, health.retention(self.telemetry_days, self.clock()))
        if gone:
            log.info("forgot %d telemetry rows older than %d days", gone, self.telemetry_days)
