"""Printing a slip through the printer port, and what happens when the printer fails.

A failed print is never silent: the resident is told on screen, the district
gets a `printer.fault` event, and the caller learns it so it can carry on
without paper (a ticket stays valid on screen).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Callable

from . import device_state, outbox, store
from .bus import Bus
from .ports import Printer, PrintJob, state_word

log = logging.getLogger(__name__)


def print_slip(printer: Printer, conn: sqlite3.Connection, bus: Bus, compose: Callable[[PrintJob], None], *,
               what: str) -> bool:
    """Compose and print one slip; on failure record `printer.fault`, tell the screens and return False."""
    try:
        with printer.job() as job:
            compose(job)
        return True
    except OSError as exc:  # driver errors subclass OSError: paper out, offline, …
        state = state_word(printer.state())
        log.warning("printing %s failed: printer %s (%s)", what, state, exc)
        with store.transaction(conn):
            outbox.append(conn, "printer.fault", {"state": state, "slip": what, "error": type(exc).__name__})
        device_state.record(conn, "printer", state, {"error": type(exc).__name__})
        bus.publish("printer", state=state, slip=what)
        return False


#: Printer states that staff must hear of even when no slip failed (a near-empty roll prints on).
NEEDS_STAFF = frozenset({"paper_low", "paper_out", "offline"})


class PrinterWatch:
    """Tells the screens when the printer's state changes, so paper low or out reaches staff before a slip fails.

    The kiosk's device round (every few seconds) and every failed print pass the state they saw; a change
    to a state staff must act on (or back to "ok" after one) is published once as a `printer` notice.
    """

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._last: str | None = None
        self._lock = threading.Lock()

    @property
    def last(self) -> str:
        """The last known state ("unknown" before the first look): cheap, it asks the printer nothing."""
        return self._last or "unknown"

    def seen(self, state: str, *, announce: bool = True) -> bool:
        """Note the state seen now; True when it was published (`announce=False`: the caller already told)."""
        if state == "unknown":         # no answer is not news: the last known state stands
            return False
        with self._lock:
            previous, self._last = self._last, state
        changed = state != previous and (state in NEEDS_STAFF or previous in NEEDS_STAFF)
        if changed and announce:
            self._bus.publish("printer", state=state, previous=previous or "")
        return changed and announce
