"""Reopen a device that vanished, waiting longer after each failed attempt.

Shared by the card readers: a reader thread hands its "open and read until it
fails" step to :func:`run_with_backoff`, which retries it until stopped.
"""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["run_with_backoff"]


def run_with_backoff(
    stop: threading.Event,
    session: Callable[[], bool],
    retry_min_s: float,
    retry_max_s: float,
) -> None:
    """Call ``session`` until ``stop`` is set, doubling the wait after each failed open.

    ``session`` returns True when it opened the device (then read until the
    device failed or ``stop`` was set), which resets the wait to ``retry_min_s``;
    False when it could not open it.
    """
    delay = retry_min_s
    while not stop.is_set():
        if session():
            delay = retry_min_s
        if stop.wait(delay):
            return
        delay = min(delay * 2, retry_max_s)
