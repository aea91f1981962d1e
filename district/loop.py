"""A hub loop's thread: rounds when woken or on the loop's own schedule, stopped cleanly.

The outbound loop and the rosters round share this life (start, wake, stop); each says only
what a round does and when it comes, in `_run`.
"""

from __future__ import annotations

import threading
from typing import TypeVar

Self = TypeVar("Self", bound="Loop")


class Loop:
    """A daemon thread named `name` running `_run` until `stop`; `wake` asks for a round now."""

    def __init__(self, name: str) -> None:
        self._wake = threading.Event()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self: Self) -> Self:
        self.thread.start()
        return self

    def wake(self, station: str | None = None) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self._wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
