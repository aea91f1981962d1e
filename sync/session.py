"""The MQTT session with the district broker: one paho-mqtt 2.x client and its network thread.

The client is built from `[mqtt]` (MQTT 5 unless `protocol = "3.1.1"`, TLS when
`tls_ca` is set, password read from `password_file`), keeps a persistent
session named after the station, and reconnects by itself with paho's back-off
(1 to 60 s). With `mqtt.hosts` (the nodes of a clustered broker) a connection
that fails or drops makes the next attempt go to the next node in the list,
round and round; the cluster keeps the session, so nothing else changes.
Its callbacks only put small items on the agent's queue: all
station logic and every database call stay in the agent's one thread.
Connection problems are logged here, in one line each; the password never is.
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
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiosk.base.errors import ConfigError
from kiosk.config import MqttSettings

from .rotation import Rotation
from .topics import Topics

log = logging.getLogger("sync.session")

KEEPALIVE_S = 30                      # the broker publishes the last will within ~1.5 × this
SESSION_EXPIRY_S = 7 * 24 * 3600      # v5: the broker keeps our subscriptions this long offline
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 60


# -- what the network thread tells the agent ----------------------------------
@dataclass(frozen=True)
class Connected:
    """The broker accepted the connection (session_present: it kept our session)."""
    session_present: bool


@dataclass(frozen=True)
class SubscribeRefused:
    """The broker refused a subscription: an ACL, or a cluster node that could not set it up just then
    (NATS answers 0x80 while JetStream elects a leader after a node died); the agent asks again."""
    reason: str


@dataclass(frozen=True)
class Disconnected:
    """An established connection was lost (paho reconnects by itself); `where`: the broker it was with."""
    reason: str
    where: str = ""


@dataclass(frozen=True)
class Puback:
    """The broker answered a QoS 1 publish (or paho wrote a QoS 0 one)."""
    mid: int
    code: int             # MQTT 5 reason code; ≥ 0x80 is a refusal (3.1.1 brokers always say 0)
    reason: str


@dataclass(frozen=True)
class Message:
    """Something the district sent on a subscribed topic."""
    topic: str
    payload: bytes


class _Client(mqtt.Client):
    """paho's client, remembering why the last connection attempt failed (paho swallows it)."""

    last_connect_error: BaseException | None = None

    def reconnect(self) -> MQTTErrorCode:
        try:
            return super().reconnect()
        except OSError as exc:
            self.last_connect_error = exc
            raise


def describe_connect_error(exc: BaseException | None) -> str:
    """A connection failure in words an operator can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: the broker's certificate is not trusted ({exc.verify_message}); check mqtt.tls_ca"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc}); is this a TLS port, and mqtt.tls_ca right?"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the broker running on this port?)"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return "unknown error"


def read_password(settings: MqttSettings) -> str | None:
    """The broker password from `password_file` (first line), or None when there is no file."""
    if not settings.password_file:
        return None
    try:
        with open(settings.password_file, encoding="utf-8") as f:
            return f.readline().rstrip("\r\n")
    except OSError as exc:
        raise ConfigError(f"mqtt.password_file {settings.password_file}: cannot be read "
                          f"({exc.strerror})") from None


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send each packet at once: paho leaves Nagle on, which holds back-to-back packs ~40 ms."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


class Link:
    """The station's one MQTT client; callbacks feed `inbox`, the agent acts on it. `will()` is the last will
    of the next attempt, asked for before each one (it names the session that connection will be)."""

    def __init__(self, settings: MqttSettings, station_id: str, inbox: "queue.Queue[Any]", *,
                 will: Callable[[], bytes], max_inflight: int) -> None:
        self.settings = settings
        self.inbox = inbox
        self.topics = Topics(station_id)
        self._connected = threading.Event()
        self._refused = False
        self.rotation = Rotation(settings.brokers, self._connect_async)
        v5 = settings.protocol == "5"
        self.client = _Client(CallbackAPIVersion.VERSION2, client_id=station_id,
                              protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
                              clean_session=None if v5 else False)
        self.will = will
        self._configure(max_inflight)

    def _configure(self, max_inflight: int) -> None:
        """Credentials, TLS, last will, back-off, inflight window and callbacks."""
        c, s = self.client, self.settings
        if s.username:
            c.username_pw_set(s.username, read_password(s))
        if s.tls_ca:
            try:
                c.tls_set(ca_certs=s.tls_ca, certfile=s.tls_cert or None, keyfile=s.tls_key or None,
                          tls_version=ssl.PROTOCOL_TLS_CLIENT)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"mqtt.tls_ca/tls_cert/tls_key: cannot be loaded ({exc})") from None
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        c.max_inflight_messages_set(max_inflight)
        c.max_queued_messages_set(0)
        c.on_connect, c.on_connect_fail, c.on_disconnect = self._on_connect, self._on_connect_fail, self._on_disconnect
        c.on_publish, c.on_message, c.on_subscribe = self._on_publish, self._on_message, self._on_subscribe
        c.on_socket_open = _no_delay

    @property
    def where(self) -> str:
        return f"district {self.rotation.where}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (the first attempt too is retried with back-off)."""
        self.rotation.attach(self.client, before=self._set_will)
        self.client.loop_start()

    def _set_will(self, client: mqtt.Client) -> None:
        client.will_set(self.topics.status, self.will(), qos=1, retain=True)

    def _connect_async(self, client: mqtt.Client, host: str, port: int) -> None:
        """Set up the next attempt at `host`:`port` (MQTT 5: the session kept 7 days)."""
        if self.settings.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            client.connect_async(host, port, KEEPALIVE_S, clean_start=False, properties=props)
        else:
            client.connect_async(host, port, KEEPALIVE_S)

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Hand a message to paho (thread-safe); its PUBACK comes back as a `Puback` item."""
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def subscribe(self, topic: str, qos: int = 1) -> None:
        self.client.subscribe(topic, qos=qos)

    def close(self, farewell: bytes | None, timeout: float = 5.0) -> bool:
        """Publish `farewell` on status (retained) and wait for it, then disconnect; True if it went."""
        sent = False
        if farewell is not None and self.connected:
            info = self.publish(self.topics.status, farewell, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
                sent = info.is_published()
            except (RuntimeError, ValueError) as exc:
                log.warning("%s: could not say goodbye (%s)", self.where, exc)
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()
        return sent

    # -- paho callbacks (network thread) -----------------------------------
    def _next_broker(self) -> None:
        """This broker failed or dropped us: the next attempt goes to the next one in `mqtt.hosts`."""
        if self.rotation.next():
            log.info("next attempt: %s", self.where)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused = True
            hint = "; check mqtt.username and mqtt.password_file" if reason.value in (134, 135, 4, 5) else ""
            log.error("%s refused the connection: %s (%d)%s; retrying with back-off",
                      self.where, reason, reason.value, hint)
            self._next_broker()
            return
        self._refused = False
        self._connected.set()
        self.inbox.put(Connected(bool(flags.session_present)))

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning("%s: cannot connect: %s; retrying with back-off (up to %d s)", self.where,
                    describe_connect_error(self.client.last_connect_error), RECONNECT_MAX_S)
        self._next_broker()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self._connected.is_set():
            self._connected.clear()
            self.inbox.put(Disconnected(str(reason), self.where))
            self._next_broker()
        elif not self._refused:
            hint = ("does it want a client certificate (mqtt.tls_cert, mqtt.tls_key) other than this one?"
                    if self.settings.tls_ca else "a TLS port needs mqtt.tls_ca")
            log.warning("%s closed the connection before accepting it (%s); %s", self.where, reason, hint)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        self.inbox.put(Puback(mid, reason.value, str(reason)))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put(Message(msg.topic, msg.payload))

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: list[Any], props: Any) -> None:
        refused = [code for code in codes if code.is_failure]
        for code in refused:
            log.error("%s refused a subscription: %s (%d); acknowledgements cannot arrive and the "
                      "outbox will grow until it is accepted", self.where, code, code.value)
        if refused:
            self.inbox.put(SubscribeRefused(str(refused[0])))
