"""The rosters round: each station's roster with the district's balances, made when something changed.

It runs every `balances.publish_seconds` and at once when woken (a change on
the console, a station's birth); what it makes the outbound loop publishes.
Several hub workers may run it side by side: a station's roster is made
under a lock on its row, and only when its content changed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine

from kiosk.base.clock import utc_now

from .db.engine import is_unavailable
from .loop import Loop
from .members import rosters
from .settings import Settings

log = logging.getLogger("district.rounds")
MIN_GAP_S = 2.0          # woken rounds come at most this often (a busy ingest wakes it with every pack)


class Rounds(Loop):
    def __init__(self, engine: Engine, settings: Settings, *, made: Callable[[], None] = lambda: None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.engine, self.settings, self.made, self.clock = engine, settings, made, clock
        self.round = rosters.Round(settings.district.id)
        super().__init__("district-rounds")

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if self.round.run(self.engine, self.clock()):
                    self.made()
            except Exception as exc:
                if is_unavailable(exc):
                    log.error("database unavailable (%s); rosters later", str(exc).splitlines()[0][:200])
                else:
                    log.exception("the rosters round failed")
            self.stop_event.wait(min(MIN_GAP_S, self.settings.balances.publish_seconds))
            self._wake.wait(self.settings.balances.publish_seconds)
            self._wake.clear()
