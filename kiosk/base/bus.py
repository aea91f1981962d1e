"""In-process notices for the screens: a card tap or a door change, pushed at once.

Hardware callbacks run on driver threads; each open screen (one Server-Sent
Events stream) subscribes with its own bounded queue, so a stalled browser can
never block a card tap. A full queue drops its oldest notice: screens show the
present, not history.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notice:
    kind: str                       # "card", "door", "printer", …
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    def __init__(self, bus: "Bus", size: int, mode: str, owner: str = "") -> None:
        self._bus = bus
        self.mode = mode
        self.owner = owner          # whose screen listens (the kiosk, or one staff device's session)
        self._queue: queue.Queue[Notice] = queue.Queue(maxsize=size)

    def put(self, notice: Notice) -> None:
        while True:
            try:
                self._queue.put_nowait(notice)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout: float) -> Notice | None:
        """The next notice, or None after `timeout` seconds of quiet."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus._unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus:
    """Fan-out of notices to every subscribed screen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []

    def subscribe(self, size: int = 32, *, mode: str = "", owner: str = "") -> Subscription:
        """Listen for notices; `mode` says what the screen wants a card tap to mean, `owner` whose screen it is."""
        sub = Subscription(self, size, mode, owner)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, kind: str, **data: Any) -> None:
        notice = Notice(kind, data)
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.put(notice)

    def has_mode(self, mode: str) -> bool:
        """Is any open screen in this mode (e.g. "capture": a tap selects a card, it checks nobody in)?"""
        with self._lock:
            return any(sub.mode == mode for sub in self._subs)

    def capturer(self) -> str | None:
        """The owner of the screen that most recently began to capture card taps (None: no screen captures)."""
        with self._lock:
            return next((sub.owner for sub in reversed(self._subs) if sub.mode == "capture"), None)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

