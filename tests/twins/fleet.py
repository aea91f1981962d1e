"""Many station twins on one selector loop (one thread), over their paho clients' sockets.

paho's external-loop API: each client tells, through its socket callbacks,
when its socket opens or closes and when it has something to write; the
loop waits on all sockets at once (epoll) and calls `loop_read`,
`loop_write` and, once a second, `loop_misc` (keep-alive). A twin woken by
its client (a message, a PUBACK, a connect) or by new events is turned at
the next pass, every twin once a second (the drain's ack timeout,
telemetry, reconnects). Anything from another thread goes through
`call`, so paho is only ever touched by the loop's thread.
"""

from __future__ import annotations

import queue
import selectors
import threading
import time
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as mqtt

from sync import telemetry

from .station import StationTwin

SLOW_TURN_S = 1.0


class Fleet:
    """Runs twins until `stop`; `call(fn)` runs fn(fleet) in the loop thread and returns its result."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.twins: list[StationTwin] = []
        self._calls: "queue.Queue[tuple[Callable[[Fleet], Any], queue.Queue]]" = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="twin-fleet", daemon=True)
        self.host_figures: dict[str, Any] = telemetry.host(Path("/"))
        self._woken: set[StationTwin] = set()

    def add(self, twin: StationTwin) -> StationTwin:
        """Wire a twin's client to the loop (before it connects)."""
        c = twin.client
        c.on_socket_open = self._opened
        c.on_socket_close = self._closed
        c.on_socket_register_write = lambda client, userdata, sock: self._mask(client, sock, True)
        c.on_socket_unregister_write = lambda client, userdata, sock: self._mask(client, sock, False)
        twin.host_figures = self.host_figures
        twin.wake = lambda: self._woken.add(twin)
        self.twins.append(twin)
        return twin

    def start(self) -> "Fleet":
        self._thread.start()
        return self

    def call(self, fn: Callable[["Fleet"], Any], timeout: float = 600.0) -> Any:
        """Run `fn(self)` in the loop thread; its result (or its exception)."""
        answer: queue.Queue = queue.Queue()
        self._calls.put((fn, answer))
        ok, value = answer.get(timeout=timeout)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    # -- paho's socket callbacks (loop thread) ---------------------------------
    def _opened(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.selector.register(sock, selectors.EVENT_READ, client)

    def _closed(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _mask(self, client: mqtt.Client, sock: Any, write: bool) -> None:
        try:
            self.selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if write else 0), client)
        except (KeyError, ValueError):
            pass

    # -- the loop ----------------------------------------------------------------
    def _run(self) -> None:
        next_slow = 0.0
        while not self._stop.is_set():
            for key, mask in self.selector.select(timeout=0.02):
                client: mqtt.Client = key.data
                if mask & selectors.EVENT_READ:
                    client.loop_read()
                if mask & selectors.EVENT_WRITE and client.socket() is not None:
                    client.loop_write()
            self._serve_calls()
            now = time.monotonic()
            slow = now >= next_slow
            if slow:
                next_slow = now + SLOW_TURN_S
                self.host_figures.update(telemetry.host(Path("/")))
            woken, self._woken = self._woken, set()
            for twin in (self.twins if slow else woken):
                self._turn(twin, now, slow)

    def _turn(self, twin: StationTwin, now: float, slow: bool) -> None:
        if slow:
            twin.client.loop_misc()
            if twin.reconnect_at is not None and now >= max(twin.reconnect_at, twin.offline_until):
                twin.connect()
        twin.turn(now)

    def _serve_calls(self) -> None:
        while True:
            try:
                fn, answer = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                answer.put((True, fn(self)))
            except BaseException as exc:       # handed to the caller
                answer.put((False, exc))
