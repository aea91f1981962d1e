"""The ingest worker thread: deliveries from the link, each applied by `Ingest`, then acks and PUBACK.

While the database is unavailable (PostgreSQL stopped, SQLite locked past
its timeout) the worker holds the message it has, sends no ack and no
PUBACK, and tries again with back-off; the broker stops sending once the
hub's receive maximum is reached, and the stations keep their events until
they are acknowledged. When the database is back, ingest resumes where it was.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from ..db.engine import is_unavailable
from ..link import Delivery, Link
from .unit import Handled, Ingest, Received

log = logging.getLogger("district.ingest")

RETRY_MIN_S, RETRY_MAX_S = 0.5, 10.0
BATCH = 64            # deliveries applied in one transaction when that many are waiting


class Worker:
    """One thread applying deliveries in order; `wake(station)` is told of births and new commands."""

    def __init__(self, ingest: Ingest, link: Link, deliveries: "queue.Queue[Delivery]", *,
                 wake: Callable[[str | None], None] = lambda station: None) -> None:
        self.ingest, self.link, self.deliveries, self.wake = ingest, link, deliveries, wake
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="district-ingest", daemon=True)
        self.handled = 0
        self.database_down = False
        self._next_sweep = time.monotonic() + 1.0

    def start(self) -> "Worker":
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self._sweep_if_due()
            try:
                batch = [self.deliveries.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < BATCH:
                try:
                    batch.append(self.deliveries.get_nowait())
                except queue.Empty:
                    break
            handled = self._apply(batch)
            if handled is None:
                return                                  # stopping with the messages unacknowledged
            for delivery, outcome in zip(batch, handled):
                self._after(delivery, outcome)

    def _sweep_if_due(self) -> None:
        """Now and then, gaps no pack has come to fill get their replay asked for (ingest's sweep)."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + max(1.0, self.ingest.settings.replay_after_s / 2)
        try:
            asked = self.ingest.sweep_gaps()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            return                                      # the batch loop says so and waits
        if asked:
            self.wake(None)

    def _apply(self, batch: list[Delivery]) -> list[Handled] | None:
        """Handle a batch in one transaction, retrying while the database is unavailable; None if stopped."""
        pause = RETRY_MIN_S
        received = [Received(d.topic, d.payload, d.retained) for d in batch]
        while not self.stop_event.is_set():
            try:
                handled = self._handle(received)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                if not self.database_down:
                    log.error("database unavailable (%s): holding messages, no acks sent; retrying",
                              str(exc).splitlines()[0][:200])
                self.database_down = True
                self.stop_event.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            if self.database_down:
                log.info("database available again: ingest resumes")
                self.database_down = False
            return handled
        return None

    def _handle(self, received: list[Received]) -> list[Handled]:
        """The batch at once; if a message breaks it (a bug, not bad input), each alone, the culprit dropped."""
        try:
            return self.ingest.handle_batch(received)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            log.warning("a batch of %d failed (%s); applying its messages one by one", len(received), exc)
        handled = []
        for msg in received:
            try:
                handled.append(self.ingest.handle(msg))
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                log.exception("a message on %s could not be handled; it is dropped", msg.topic[:200])
                handled.append(Handled())
        return handled

    def _after(self, delivery: Delivery, handled: Handled) -> None:
        """After the commit: the acks, word to the outbound loop, then the broker's PUBACK."""
        for message in handled.outgoing:
            if message.command_id is None:
                self.link.publish(message.topic, message.payload, retain=message.retain)
        if handled.birth_of or handled.projected or any(m.command_id for m in handled.outgoing):
            self.wake(handled.birth_of)
        self.link.ack(delivery)
        self.handled += 1
