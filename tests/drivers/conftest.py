"""Shared helpers for the driver tests."""

from __future__ import annotations

import threading
from typing import Callable

import pytest


def _wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; return its last value."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        pause.wait(0.01)
    return predicate()


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    """Wait for a condition set by another thread, without asserting any timing."""
    return _wait_until
