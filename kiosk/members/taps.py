"""Card taps as the screens receive them: each tap has its own id and is handed out once.

A card read on the reader is told to every open screen (with the tap's id); the screen that acts on
it claims it by that id. A tap is claimed once and only while fresh, so another browser session
cannot pick up a member's tap (and what it shows: their balance, their tasks with a resident's phone
number) after the screen that opened it, nor after the idle reset.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

FRESH_S = 60.0       # a tap counts this long after the card was read
KEPT = 16            # the newest taps remembered (older ones are simply gone)


@dataclass(frozen=True)
class Tap:
    id: str
    uid: str
    at: float


class Taps:
    """The station's recent taps (in memory: a tap never outlives the kiosk process)."""

    def __init__(self, *, fresh_s: float = FRESH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._fresh_s = fresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._taps: dict[str, Tap] = {}

    def record(self, uid: str) -> Tap:
        """A card was read: remember it under a new id."""
        tap = Tap(secrets.token_urlsafe(12), uid, self._clock())
        with self._lock:
            self._taps[tap.id] = tap
            while len(self._taps) > KEPT:
                self._taps.pop(next(iter(self._taps)))
        return tap

    def claim(self, tap_id: str | None) -> str | None:
        """The card UID of a fresh tap, handed out once; None if unknown, stale or already claimed."""
        if not tap_id:
            return None
        with self._lock:
            tap = self._taps.pop(tap_id, None)
        if tap is None or self._clock() - tap.at > self._fresh_s:
            return None
        return tap.uid
