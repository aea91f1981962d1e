"""The brokers of one MQTT link and whose turn it is: failover across a clustered broker's nodes.

With one broker nothing changes. With several (`mqtt.hosts`, the nodes of a
cluster that keeps sessions and retained messages), a connection that fails
or drops sends the next attempt to the next node, round and round, while
paho keeps its own back-off. paho lets the host change only on a closed
client, and `connect_async` is its way to get there; `on_pre_connect` runs
before each of paho's own reconnects, so that is where the client is aimed.
Used by the station's link (sync/session.py) and the hub's (district/link.py).
"""

from __future__ import annotations

from typing import Any, Callable

import paho.mqtt.client as mqtt

Connect = Callable[[mqtt.Client, str, int], None]      # connect_async with the link's own options


class Rotation:
    """`brokers` in order; `connect(client, host, port)` sets up the next attempt (paho's connect_async)."""

    def __init__(self, brokers: tuple[tuple[str, int], ...], connect: Connect) -> None:
        if not brokers:
            raise ValueError("a link needs at least one broker")
        self.brokers, self.connect = brokers, connect
        self._at = 0
        self._before: Callable[[mqtt.Client], None] | None = None

    @property
    def current(self) -> tuple[str, int]:
        """The broker of the current (or next) attempt."""
        return self.brokers[self._at % len(self.brokers)]

    @property
    def where(self) -> str:
        return "broker %s:%d" % self.current

    def attach(self, client: mqtt.Client, before: Callable[[mqtt.Client], None] | None = None) -> None:
        """Aim the client at the current broker now, and before each of paho's reconnects; `before(client)`
        runs ahead of every attempt too (the station sets its last will there)."""
        self._before = before
        client.on_pre_connect = self._pre_connect
        self.connect(client, *self.current)

    def next(self) -> bool:
        """The current broker failed or dropped the link: move on; False if there is no other."""
        if len(self.brokers) == 1:
            return False
        self._at += 1
        return True

    def _pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        if self._before is not None:
            self._before(client)
        if (client.host, client.port) != self.current:
            self.connect(client, *self.current)
