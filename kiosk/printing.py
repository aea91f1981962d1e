"""Printing a slip through the printer port, and what happens when the printer fails.

A failed print is never silent: the resident is told on screen, the district
gets a `printer.fault` event, and the caller learns it so it can carry on
without paper (a ticket stays valid on screen).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from . import device_state, outbox, store
from .ports import PrintJob, state_word

if TYPE_CHECKING:
    from .station import Station

log = logging.getLogger(__name__)


def print_slip(station: Station, compose: Callable[[PrintJob], None], *, what: str) -> bool:
    """Compose and print one slip; on failure record `printer.fault` and return False."""
    try:
        with station.printer.job() as job:
            compose(job)
        return True
    except OSError as exc:  # driver errors subclass OSError: paper out, offline, …
        state = state_word(station.printer.state())
        log.warning("printing %s failed: printer %s (%s)", what, state, exc)
        conn = station.db()
        with store.transaction(conn):
            outbox.append(conn, "printer.fault", {"state": state, "slip": what, "error": type(exc).__name__})
        device_state.record(conn, "printer", state, {"error": type(exc).__name__})
        station.bus.publish("printer", state=state)
        return False


def test_page(station: Station) -> Callable[[PrintJob], None]:
    """The staff's printer test: station name in Chinese, the time, a QR code and a cut."""
    cfg = station.config
    now = datetime.now(ZoneInfo(cfg.station.timezone)).strftime("%Y-%m-%d %H:%M:%S")

    def compose(job: PrintJob) -> None:
        job.text(cfg.station.name["zh"], align="center", scale=2, bold=True)
        job.text("打印测试 · Printer test", align="center")
        job.rule()
        job.text(f"站点 Station: {cfg.station.id}")
        job.text(f"时间 Time: {now}")
        job.text("中文标点：，。！？（）——测试", align="left")
        job.qr(f"vstation:{cfg.station.id}:test")
        job.feed(2)
        job.cut()

    return compose
