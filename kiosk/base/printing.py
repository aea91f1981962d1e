"""Printing a slip through the printer port, and what happens when the printer fails.

A failed print is never silent: the resident is told on screen, the district
gets a `printer.fault` event, and the caller learns it so it can carry on
without paper (a ticket stays valid on screen).
"""

from __future__ import annotations

import logging
import sqlite3
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
        bus.publish("printer", state=state)
        return False
