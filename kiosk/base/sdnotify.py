"""systemd's readiness and watchdog protocol, without a library.

Under `Type=notify` systemd passes `NOTIFY_SOCKET` (a path, or `@name` for
the abstract namespace) and, with `WatchdogSec`, `WATCHDOG_USEC`. We send
`READY=1` once we serve, `WATCHDOG=1` at half the watchdog interval while the
process's main loop is alive, and `STOPPING=1` on SIGTERM. Without
`NOTIFY_SOCKET` (a terminal, the tests, the demo) every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send one notification such as "READY=1"; False when not under systemd or the socket is gone."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or address[0] not in "/@":
        return False
    if address[0] == "@":
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
    except OSError as exc:
        log.warning("systemd notification %r not sent: %s", state.split("=")[0], exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when no watchdog is asked for us."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


class Heartbeat:
    """The main loop calls `beat()` each turn; `fresh()` says whether it did so lately."""

    def __init__(self, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def fresh(self) -> bool:
        return time.monotonic() - self._last <= self.max_age_s


class Watchdog:
    """A thread that pings systemd's watchdog only while `alive()` says the process still works.

    When the main loop hangs, `alive()` turns false, the pings stop and
    systemd restarts the service after WatchdogSec (`Restart=on-failure`).
    """

    def __init__(self, alive: Callable[[], bool], interval_s: float | None = None) -> None:
        self.alive = alive
        self.interval_s = interval_s if interval_s is not None else watchdog_interval()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Watchdog":
        if self.interval_s and os.environ.get("NOTIFY_SOCKET"):
            self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                ok = self.alive()
            except Exception as exc:  # a failing probe means "not alive", never a dead thread
                log.warning("watchdog probe failed: %s", exc)
                ok = False
            if ok:
                notify("WATCHDOG=1")
            else:
                log.error("main loop not answering: withholding the watchdog ping")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "Watchdog":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
