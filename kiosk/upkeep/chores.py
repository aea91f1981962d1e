"""The kiosk's periodic chores on one thread: a round every beat, or sooner when a part asks for one.

The lockers ask for a round a few seconds ahead (a door that must open in
time, a sensor to read again once settled); otherwise rounds come on a steady
beat, and each chore runs in the first round after its own interval. A chore
that raises is logged and tried again next time, so one bad round never
stops the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)


@dataclass
class Chore:
    """`run` at most every `every_s` seconds (0: every round)."""
    name: str
    run: Callable[[], None]
    every_s: float = 0.0
    last: float = float("-inf")


class Chores:
    """A thread that runs rounds of chores until stopped."""

    def __init__(self, chores: list[Chore], *, beat_s: float) -> None:
        self._chores = chores
        self._beat_s = beat_s
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._asked_at = float("inf")          # monotonic time of the earliest round asked for
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the rounds; a chore with an interval first runs once that interval has passed."""
        now = time.monotonic()
        for chore in self._chores:
            if chore.every_s:
                chore.last = now
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=timeout)

    def soon(self, delay: float) -> None:
        """Have a round run `delay` seconds from now (or at the next beat, if that is sooner)."""
        with self._wake:
            self._asked_at = min(self._asked_at, time.monotonic() + delay)
            self._wake.notify_all()

    def _loop(self) -> None:
        while True:
            now = time.monotonic()
            for chore in self._chores:
                if now - chore.last < chore.every_s:
                    continue
                chore.last = now
                try:
                    chore.run()
                except Exception:  # keep the loop alive; the next round tries again
                    log.exception("housekeeping: %s failed", chore.name)
            if self._wait():
                return

    def _wait(self) -> bool:
        """Sleep until the next beat or an earlier round asked for; True when stopping."""
        deadline = time.monotonic() + self._beat_s
        with self._wake:
            while not self._stopping.is_set():
                due = min(deadline, self._asked_at)
                if time.monotonic() >= due:
                    self._asked_at = float("inf")
                    return False
                self._wake.wait(due - time.monotonic())
        return True
