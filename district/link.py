"""The hub's MQTT session: one paho-mqtt 2.x client, MQTT 5, persistent, with manual acknowledgements.

paho normally answers a QoS 1 message with PUBACK as soon as the callback
returns; here `manual_ack_set(True)` holds the PUBACK until ingest committed
what the message said. A hub that dies before that gets the message again
from the broker (its session is persistent), and de-duplicates it.
With `mqtt.shared_group` the subscriptions are `$share/{group}/…`: several
hub workers share the stations' messages as competing consumers. With
`mqtt.hosts` the hub fails over across a clustered broker's nodes as a
station does (sync/rotation.py); `protocol = "3.1.1"` is for a broker
without MQTT 5 (NATS): a persistent `clean_session = false` session.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sync.rotation import Rotation
from sync.topics import PREFIX

from .contract import UPSTREAM
from .errors import SettingsError
from .settings import MqttLink

log = logging.getLogger("district.link")

KEEPALIVE_S = 30
SESSION_EXPIRY_S = 7 * 24 * 3600
RECEIVE_MAXIMUM = 64          # messages the broker may have in flight to us before our PUBACKs


@dataclass(frozen=True)
class Delivery:
    """A message from the broker; `mid`/`qos` are what its PUBACK needs."""
    topic: str
    payload: bytes
    qos: int
    mid: int
    retained: bool


def filters(group: str | None) -> list[tuple[str, int]]:
    """The upstream topics of every station (shared among the group's workers when one is named)."""
    share = f"$share/{group}/" if group else ""
    return [(f"{share}{PREFIX}/+/{leaf}", 0 if leaf == "telemetry" else 1) for leaf in UPSTREAM]


def read_password(path: Any) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"mqtt.password_file {path}: cannot be read ({exc.strerror})") from None


class Link:
    """Connects in the background, reconnects with back-off; messages go to `deliveries`."""

    def __init__(self, settings: MqttLink, deliveries: "queue.Queue[Delivery]", *,
                 on_connected: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self.deliveries = deliveries
        self.on_connected = on_connected
        self._connected = threading.Event()
        v5 = settings.protocol == "5"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=settings.client_id,
                                  protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, clean_session=None if v5 else False)
        self.rotation = Rotation(settings.brokers, self._connect_async)
        self.client.manual_ack_set(True)
        if settings.username:
            self.client.username_pw_set(settings.username,
                                        read_password(settings.password_file) if settings.password_file else None)
        if settings.tls_ca:
            self.client.tls_set(ca_certs=str(settings.tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.reconnect_delay_set(1, 30)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.on_connect, self.client.on_disconnect = self._on_connect, self._on_disconnect
        self.client.on_message, self.client.on_subscribe = self._on_message, self._on_subscribe
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_socket_open = _no_delay

    @property
    def where(self) -> str:
        return self.rotation.where

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> "Link":
        self.rotation.attach(self.client)
        self.client.loop_start()
        return self

    def _connect_async(self, client: mqtt.Client, host: str, port: int) -> None:
        if self.settings.protocol != "5":
            client.connect_async(host, port, KEEPALIVE_S)
            return
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect_async(host, port, KEEPALIVE_S, clean_start=False, properties=props)

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """QoS 1, thread-safe."""
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def ack(self, delivery: Delivery) -> None:
        """PUBACK a QoS 1 message: the broker may now forget it."""
        if delivery.qos > 0:
            self.client.ack(delivery.mid, delivery.qos)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    # -- paho callbacks (network thread) -------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("%s refused the hub: %s (%d); check mqtt.username and mqtt.password_file", self.where,
                      reason, reason.value)
            self.rotation.next()
            return
        client.subscribe(filters(self.settings.shared_group))
        log.info("%s: connected as %s%s", self.where, self.settings.client_id,
                 " (session resumed)" if flags.session_present else "")
        self._connected.set()
        self.on_connected()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self._connected.is_set():
            log.warning("%s: connection lost (%s); reconnecting", self.where, reason)
        self._connected.clear()
        if self.rotation.next():
            log.info("next attempt: %s", self.where)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning("%s: cannot connect; retrying with back-off", self.where)
        if self.rotation.next():
            log.info("next attempt: %s", self.where)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.deliveries.put(Delivery(msg.topic, msg.payload, msg.qos, msg.mid, bool(msg.retain)))

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: list[Any], props: Any) -> None:
        for code in codes:
            if code.is_failure:
                log.error("%s refused a subscription of the hub: %s; check the acl_file's hub lines", self.where,
                          code)


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Acks go out at once (paho leaves Nagle on)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
