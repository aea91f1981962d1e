"""Card taps as the screens receive them: each tap has its own id and is handed out once.

A card read on the reader is told to every open screen (with the tap's id); the screen that acts on
it claims it by that id. A tap is claimed once and only while fresh, so another browser session
cannot pick up a member's tap (and what it shows: their balance, their tasks with a resident's phone
number) after the screen that opened it, nor after the idle reset. A tap captured for one screen (a staff
device waiting for a member's card at the kiosk's reader, or the kiosk itself) has that screen's owner,
and only that owner can claim it.
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
    owner: str | None = None     # the one screen that may claim it (None: whichever acts on it first)


class Taps:
    """The station's recent taps (in memory: a tap never outlives the kiosk process)."""

    def __init__(self, *, fresh_s: float = FRESH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._fresh_s = fresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._taps: dict[str, Tap] = {}

    def record(self, uid: str, *, owner: str | None = None) -> Tap:
        """A card was read: remember it under a new id (for `owner` alone, when given)."""
        tap = Tap(secrets.token_urlsafe(12), uid, self._clock(), owner)
        with self._lock:
            self._taps[tap.id] = tap
            while len(self._taps) > KEPT:
                self._taps.pop(next(iter(self._taps)))
        return tap

    def claim(self, tap_id: str | None, owner: str | None = None) -> str | None:
        """The card UID of a fresh tap, handed out once; None if unknown, stale, already claimed or another
        screen's (a tap for another owner stays for its own)."""
        if not tap_id:
            return None
        with self._lock:
            tap = self._taps.get(tap_id)
            if tap is not None and tap.owner is not None and tap.owner != owner:
                return None
            self._taps.pop(tap_id, None)
        if tap is None or self._clock() - tap.at > self._fresh_s:
            return None
        return tap.uid
