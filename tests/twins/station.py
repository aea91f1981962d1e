"""One light station twin: a paho client and the station's contract, without a station database.

Everything runs in the fleet's loop thread, so paho's callbacks act at once
(the real agent hands them to its own thread through a queue). What a twin
does on each connect is the agent's `_on_connected`: count the session,
publish the retained birth, subscribe to what the district sends, send
again everything not acknowledged, and telemetry at once.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiosk.base.clock import now_rfc3339
from sync import presence, schemas, telemetry
from sync.drain import REFUSED, Drain, Tuning
from sync.session import KEEPALIVE_S, SESSION_EXPIRY_S
from sync.topics import Topics

from .activity import SLOTS, burst
from .backlog import MemoryBacklog
from .inbound import Commands, Documents

RECONNECT_MIN_S, RECONNECT_MAX_S = 1.0, 60.0        # as the agent's paho back-off (sync/session.py)
RESUBSCRIBE_S = 5.0                                 # as the agent after a refused subscription (sync/agent.py)



class NonBlockingClient(mqtt.Client):
    """A paho client whose TCP connect does not wait: a real station waits for its own SYN-ACK alone, but
    thousands of twins share one thread, where a blocking connect to a broker whose listen queue is full
    (mosquitto's holds 100; the SYN is dropped and sent again after 1 s, 3 s, 7 s...) would stall every
    other twin. paho sends CONNECT once the socket is writable, as it does after any short write."""

    def _create_socket_connection(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if self._bind_address:
                sock.bind((self._bind_address, self._bind_port))
            code = sock.connect_ex((self.host, self.port))
            if code not in (0, errno.EINPROGRESS):
                raise OSError(code, os.strerror(code))
        except OSError:
            sock.close()
            raise
        return sock


@dataclass
class Figures:
    """What one twin counts for the benchmark."""
    ages: list[float] = field(default_factory=list)   # written → acknowledged, seconds, per event
    connects: int = 0
    telemetry: int = 0
    refused_packs: int = 0
    refused_subscriptions: int = 0


class StationTwin:
    """A station's side of the contract on one paho client (MQTT 5 or 3.1.1), driven by `Fleet`."""

    def __init__(self, station: str, password: str | None, *, hosts: list[tuple[str, int]],
                 command_key: bytes | None = None, epoch: int | None = None, tuning: Tuning | None = None,
                 telemetry_s: float = 30.0, protocol: str = "5", bind_address: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.station, self.hosts, self.bind_address, self.clock = station, hosts, bind_address, clock
        self.topics = Topics(station)
        self.v5 = protocol == "5"
        self.tuning = tuning or Tuning()
        self.backlog = MemoryBacklog(epoch or int(time.time() * 1000), clock=clock)
        self.drain = Drain(self.backlog, self._publish_pack, self.tuning, clock=clock)
        self.documents = Documents(self.backlog)
        self.commands = Commands(station, command_key, self.backlog, {
            "events.replay": self.replay, "config.resend": lambda args: {"documents": self.documents.resend()},
            "diagnostics": lambda args: {"host": {}, "devices": {}, "versions": {"vstation": "twin"},
                                         "sync": {"session": self.session, **self.drain.stats()}}})
        self.telemetry_s = telemetry_s
        self.session, self.started_at, self.started = 0, now_rfc3339(), clock()
        self.connected, self.host_index, self.backoff = False, 0, RECONNECT_MIN_S
        self.reconnect_at: float | None = None
        self.offline_until = 0.0                         # the network is away until then (no attempts)
        self.resubscribe_at: float | None = None         # a subscription was refused: ask again then
        self.subscribed = False                          # asked once; again only when the session was lost
        self.next_telemetry = 0.0
        self.birth_mids: set[int] = set()
        self.figures = Figures()
        self.host_figures: dict[str, Any] = {}
        self.wake: Callable[[], None] = lambda: None     # the fleet turns a woken twin at its next pass
        self.client = self._client(password)

    def _client(self, password: str | None) -> mqtt.Client:
        client = NonBlockingClient(CallbackAPIVersion.VERSION2, client_id=self.station,
                                   protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
                                   clean_session=None if self.v5 else False)
        if password is not None:
            client.username_pw_set(self.station, password)
        client.max_inflight_messages_set(self.tuning.max_inflight)
        client.max_queued_messages_set(0)
        client.on_connect, client.on_disconnect = self._on_connect, self._on_disconnect
        client.on_publish, client.on_message = self._on_publish, self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    # -- connecting ------------------------------------------------------------
    def connect(self) -> None:
        """One attempt at the current host (the next one after a failure); back-off doubles to 60 s."""
        host, port = self.hosts[self.host_index % len(self.hosts)]
        self.client.will_set(self.topics.status, presence.encode(presence.will(self.session + 1)), qos=1,
                             retain=True)
        try:
            if self.v5:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = SESSION_EXPIRY_S
                self.client.connect(host, port, KEEPALIVE_S, bind_address=self.bind_address, clean_start=False,
                                    properties=props)
            else:
                self.client.connect(host, port, KEEPALIVE_S, bind_address=self.bind_address)
            self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reconnect_at = None
        except OSError:
            self._failed()

    def _failed(self) -> None:
        self.host_index += 1
        self.reconnect_at = self.clock() + self.backoff
        self.backoff = min(self.backoff * 2, RECONNECT_MAX_S)

    def drop(self) -> None:
        """The network goes away under the twin (no DISCONNECT: the broker publishes the will)."""
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_offline(self, until: float) -> None:
        """The network goes away until `until` (monotonic): the connection drops, no attempt before then."""
        self.offline_until = until
        self.drop()

    def back_online(self, at: float) -> None:
        """The network is back at `at`: the next attempt is then, whatever the back-off had planned."""
        self.offline_until = at
        if not self.connected:
            self.reconnect_at = at

    def goodbye(self) -> None:
        """SIGTERM's path: `online: false` with the session, then a clean disconnect."""
        if self.connected:
            self.client.publish(self.topics.status, presence.encode(presence.goodbye(self.session)), qos=1,
                                retain=True)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._failed()
            return
        self.connected, self.backoff = True, RECONNECT_MIN_S
        self.figures.connects += 1
        self.session += 1
        birth = presence.birth(self.session, self.started_at, self.backlog.current)
        self.birth_mids = {client.publish(self.topics.status, presence.encode(birth), qos=1, retain=True).mid}
        if not (flags.session_present and self.subscribed):        # as the agent (sync/agent.py)
            self._subscribe()
        self.drain.reconnected()
        self.next_telemetry = 0.0
        self.wake()

    def _subscribe(self) -> None:
        self.subscribed = True
        self.resubscribe_at = None
        self.client.subscribe([(self.topics.events_ack, 1), *((self.topics.topic(d), 1) for d in schemas.DOCUMENTS),
                               (self.topics.topic("cmd/+"), 1)])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: list[Any], props: Any) -> None:
        """As the agent: a refused subscription (a cluster node that could not set it up) is asked again."""
        if any(code.is_failure for code in codes):
            self.figures.refused_subscriptions += 1
            self.resubscribe_at = self.clock() + RESUBSCRIBE_S

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.connected:
            self.connected = False
            self.host_index += 1                         # as the agent: the next node of mqtt.hosts
            self.reconnect_at = self.clock() + self.backoff
        elif self.reconnect_at is None:
            self._failed()

    # -- what the district sends -----------------------------------------------
    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.wake()
        leaf = msg.topic.split("/", 3)[3]
        if leaf == "events/ack":
            try:
                upto, epoch = schemas.parse_ack(msg.payload)
            except schemas.BadPayload:
                return
            covered = self.drain.covered(upto, epoch)
            if covered is not None:
                self.figures.ages += self.backlog.ages(self.drain.acked, min(covered, self.drain.high_water))
                self.drain.acknowledged(upto, epoch)
        elif leaf.startswith("cmd/"):
            self.commands.receive(msg.payload, msg.topic)
        elif leaf in schemas.DOCUMENTS:
            self.documents.receive(leaf, msg.payload)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        self.wake()
        if mid in self.birth_mids:
            self.birth_mids.discard(mid)
        elif self.drain.published(mid, reason.value, str(reason)) and reason.value >= REFUSED:
            self.figures.refused_packs += 1

    def replay(self, args: dict[str, Any]) -> dict[str, Any]:
        """`events.replay`, as the agent answers it."""
        epoch = args.get("epoch", self.drain.epoch)
        start = args["from_seq"] if epoch <= self.drain.epoch else self.drain.last_seq() + 1
        return {"from_seq": self.drain.replay_from(start), "acked_seq": self.drain.acked,
                "last_seq": self.drain.last_seq(), "epoch": self.drain.epoch}

    # -- what the station sends --------------------------------------------------
    def _publish_pack(self, payload: bytes) -> tuple[int, int]:
        info = self.client.publish(self.topics.events, payload, qos=1)
        return info.mid, info.rc

    def turn(self, now: float) -> None:
        """The agent's step: packs while the window allows, telemetry when due, results not yet sent."""
        if not self.connected:
            return
        if self.resubscribe_at is not None and now >= self.resubscribe_at:
            self._subscribe()
        self.drain.pump()
        if now >= self.next_telemetry:
            self.next_telemetry = now + self.telemetry_s
            self.client.publish(self.topics.telemetry, json.dumps(self.telemetry()).encode(), qos=0)
            self.figures.telemetry += 1
        while self.commands.unsent:
            message = self.commands.unsent[0]
            if self.client.publish(f"{self.topics.topic('cmd/' + message['id'])}/result",
                                   json.dumps(message, ensure_ascii=False).encode(), qos=1).rc != 0:
                break
            self.commands.unsent.pop(0)

    def telemetry(self) -> dict[str, Any]:
        """A station's telemetry payload (sync.telemetry.compose), with a healthy station's devices."""
        self.drain.forget(now=True)
        return telemetry.compose(
            started=self.started, host=self.host_figures,
            devices={"printer": "ok", "reader": "ok", "lockers": {slot: "free" for slot in SLOTS}},
            tickets_waiting=0,
            outbox={"depth": self.backlog.depth(), "oldest_age_s": self.backlog.oldest_age_s(),
                    "acked_seq": self.backlog.acked_seq(), "last_seq": self.backlog.last_seq(),
                    "epoch": self.backlog.epoch()},
            sync={"session": self.session, **self.drain.stats()})

    def write(self, events: int, start: int = 0) -> int:
        """Residents and staff at work: about `events` new events (whole tickets); how many."""
        written = burst(self.backlog, events, start)
        self.wake()
        return written
