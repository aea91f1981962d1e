"""The printer's state as staff must hear of it: paper low, paper out, offline, and back to ok.

Slips themselves are queued and sent by the print spooler (kiosk/printing/),
which reports each failed slip; this watch tells the screens when the
printer's state changes between slips too.
"""

from __future__ import annotations

import threading

from .bus import Bus


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
