"""The sync process: the station's link to the district over MQTT (docs/mqtt.md).

One thread does everything that touches the database: it takes what paho's
network thread reports from a queue (connected, PUBACK, messages), keeps
the birth, the outbox drain and the telemetry going, and on SIGTERM says
`online: false` before it disconnects. Without `[mqtt] enabled` the process
only keeps the outbox, which is what the station must do offline anyway.
"""

from __future__ import annotations

import json
import logging
import queue
import signal
import sqlite3
import threading
import time
from typing import Any, Callable

from kiosk.base import outbox, sdnotify, store
from kiosk.base.clock import now_rfc3339
from kiosk.config import Config
from kiosk.district import documents

from . import diagnostics, presence, schemas, telemetry
from .commands import Commands, load_key
from .documents import Documents
from .drain import REFUSED, Drain, Tuning
from .session import Connected, Disconnected, Link, Message, Puback, SubscribeRefused

log = logging.getLogger("sync")
RESUBSCRIBE_MAX_S = 60.0                # a refused subscription: asked again after tuning.resubscribe_s, doubling

Handler = Callable[[bytes, str], None]          # (payload, topic) of a message from the district


def run_sync(config: Config, *, stop: threading.Event | None = None, tuning: Tuning | None = None) -> int:
    """Hold the sync role on this database until SIGTERM (or `stop`): link to the district if enabled."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: _stopping(stop))
        signal.signal(signal.SIGINT, lambda *_: _stopping(stop))
    with store.InstanceLock(config.database_path, "sync"):
        conn = store.open_store(config.database_path)
        heart = sdnotify.Heartbeat(max_age_s=max(2 * (sdnotify.watchdog_interval() or 0), 5.0))  # > a turn
        sdnotify.notify("READY=1\nSTATUS=" + (f"linking to {config.mqtt.host}" if config.mqtt.enabled
                                               else "keeping the outbox (mqtt disabled)"))
        try:
            with sdnotify.Watchdog(heart.fresh):      # pings only while the loop below turns
                if config.mqtt.enabled:
                    Agent(config, conn, tuning).run(stop, beat=heart.beat)
                else:
                    _keep_outbox(config, conn, stop, beat=heart.beat)
        finally:
            conn.close()
    return 0


def _stopping(stop: threading.Event) -> None:
    sdnotify.notify("STOPPING=1")
    stop.set()


def _keep_outbox(config: Config, conn: sqlite3.Connection, stop: threading.Event, *,
                 beat: Callable[[], None] = lambda: None) -> None:
    """No district link configured: keep every event and log the backlog now and then."""
    next_log = 0.0
    while not stop.is_set():
        beat()
        if time.monotonic() >= next_log:
            next_log = time.monotonic() + config.mqtt.telemetry_seconds
            age = outbox.oldest_age_s(conn)
            log.info("outbox: %d event(s) waiting, oldest %s s (mqtt.enabled is false)", outbox.depth(conn),
                     "-" if age is None else f"{age:.0f}")
        stop.wait(1.0)


class Agent:
    """The district link of one station: presence, outbox drain, acks and telemetry."""

    def __init__(self, config: Config, conn: sqlite3.Connection, tuning: Tuning | None = None) -> None:
        self.config = config
        self.conn = conn
        self.tuning = tuning or Tuning()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.link = Link(config.mqtt, config.station.id, self.inbox,
                         will=lambda: presence.encode(presence.will(self.session + 1)),
                         max_inflight=self.tuning.max_inflight)
        self.topics = self.link.topics
        self.drain = Drain(conn, self._publish_pack, self.tuning)
        self.session = presence.current_session(conn)
        self.started_at, self.started = now_rfc3339(), time.monotonic()
        self._next_telemetry = 0.0
        # topic (or a pattern with +) → handler of what the district sends
        self.handlers: dict[str, Handler] = {self.topics.events_ack: self._on_ack}
        self.documents = Documents(conn, config)
        for doc in schemas.DOCUMENTS:
            self.handlers[self.topics.topic(doc)] = lambda payload, topic, doc=doc: self.documents.receive(doc, payload)
        self.commands = Commands(conn, config.station.id, load_key(config.mqtt), self._publish_result, {
            "events.replay": self.replay,
            "config.resend": lambda args: {"documents": documents.resend(conn)},
            "diagnostics": lambda args: diagnostics.collect(conn, config, {"session": self.session,
                                                                           **self.drain.stats()}),
        })
        self.handlers[self.topics.topic("cmd/+")] = self.commands.receive
        self._next_results = 0.0
        self._acks: list[tuple[int, int | None]] = []
        self._reported_error: str | None = None
        self._birth_mids: set[int] = set()
        self._resubscribe_at: float | None = None      # a subscription was refused: ask again then
        self._subscribed = False                          # this process has asked for its subscriptions
        self._resubscribe_s = self.tuning.resubscribe_s

    def run(self, stop: threading.Event, *, beat: Callable[[], None] = lambda: None) -> None:
        """Connect in the background and serve until `stop` is set; then say goodbye (`beat` each turn)."""
        log.info("sync of %s: linking to %s (MQTT %s%s)", self.config.station.id, self.link.where,
                 self.config.mqtt.protocol, ", TLS" if self.config.mqtt.tls_ca else "")
        self.link.start()
        try:
            while not stop.is_set():
                beat()
                try:
                    self._step()
                except sqlite3.OperationalError as exc:     # e.g. locked past the busy timeout: try again
                    log.error("database: %s; trying again in a second", exc)
                    stop.wait(1.0)
        finally:
            self._shutdown()

    def _step(self) -> None:
        """One turn: what the network thread reported, then packs and telemetry if connected."""
        self._take_reports()
        if self.link.connected:
            self._resubscribe_if_due()
            self.drain.pump()
            self._telemetry_if_due()
            self._results_if_due()

    # -- reports from the network thread -------------------------------------
    def _take_reports(self) -> None:
        """Handle whatever the network thread reported (waiting up to poll_s for the first)."""
        try:
            item = self.inbox.get(timeout=self.tuning.poll_s)
        except queue.Empty:
            return
        for _ in range(10_000):
            self._handle(item)
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
        acks, self._acks = self._acks, []   # many acks in one go: each only moves forward, forgetting is batched
        for upto, epoch in acks:
            if self.drain.acknowledged(upto, epoch):
                log.debug("district acknowledged up to seq %d (epoch %s)", upto, epoch or "current")

    def _handle(self, item: Any) -> None:
        """Act on one report: a PUBACK, a message from the district, a (dis)connection."""
        if isinstance(item, Puback):
            if item.mid in self._birth_mids:
                self._birth_mids.discard(item.mid)
                if item.code >= REFUSED:
                    log.error("%s refused the birth on %s: %s (%d)", self.link.where, self.topics.status,
                              item.reason, item.code)
            else:
                self.drain.published(item.mid, item.code, item.reason)
        elif isinstance(item, Message):
            handler = self.handlers.get(item.topic) or next(
                (h for pattern, h in self.handlers.items() if _matches(pattern, item.topic)), None)
            if handler is None:
                log.warning("ignored a message on %s: nothing here handles that topic", item.topic)
            else:
                try:
                    handler(item.payload, item.topic)
                except sqlite3.OperationalError:
                    raise                            # the run loop waits and goes on
                except Exception:                    # a bug must not end the district link
                    log.exception("handling a message on %s failed", item.topic)
        elif isinstance(item, SubscribeRefused) and self._resubscribe_at is None:   # one retry for them all
            self._resubscribe_at = time.monotonic() + self._resubscribe_s
            log.warning("%s: subscribing again in %.1f s", self.link.where, self._resubscribe_s)
            self._resubscribe_s = min(self._resubscribe_s * 2, RESUBSCRIBE_MAX_S)
        elif isinstance(item, Connected):
            self._on_connected(item)
        elif isinstance(item, Disconnected):
            log.warning("%s: connection lost (%s); reconnecting with back-off", item.where or self.link.where,
                        item.reason)

    def _on_connected(self, item: Connected) -> None:
        """Count the session, publish the birth, subscribe unless the broker kept them, re-send what was not
        acknowledged."""
        self.session = presence.next_session(self.conn)
        birth = presence.birth(self.session, self.started_at, outbox.current_epoch(self.conn))
        info = self.link.publish(self.topics.status, presence.encode(birth), qos=1, retain=True)
        self._birth_mids = {info.mid}
        if not (item.session_present and self._subscribed):
            self._subscribe()
            self._resubscribe_s = self.tuning.resubscribe_s
        self.drain.reconnected()
        self._next_telemetry = 0.0
        log.info("%s: connected, session %d%s; sending from seq %d", self.link.where, self.session,
                 " (resumed)" if item.session_present else "", self.drain.acked + 1)

    def _subscribe(self) -> None:
        """Every topic the district sends to. Asked once per process (a new version may listen to more) and
        after any connect whose session the broker did not keep; not on every resumed session: a NATS node
        makes each QoS 1 subscription a JetStream consumer, and a thousand stations coming back at once
        asking for six each timed its consumer API out (bench/cluster_faults.py)."""
        self._subscribed = True
        self._resubscribe_at = None
        log.info("%s: subscribing to %d topics", self.link.where, len(self.handlers))
        for topic in self.handlers:
            self.link.subscribe(topic, qos=1)

    def _resubscribe_if_due(self) -> None:
        if self._resubscribe_at is not None and time.monotonic() >= self._resubscribe_at:
            self._subscribe()

    def _on_ack(self, payload: bytes, topic: str = "") -> None:
        """`events/ack`: collect a valid upto_seq; anything else is logged and ignored."""
        try:
            self._acks.append(schemas.parse_ack(payload))
        except schemas.BadPayload as exc:
            log.warning("ignored events/ack: %s", exc)

    # -- what the station sends ----------------------------------------------
    def _publish_pack(self, payload: bytes) -> tuple[int, int]:
        """The drain's way out: one pack on `events` at QoS 1."""
        info = self.link.publish(self.topics.events, payload, qos=1)
        return info.mid, info.rc

    def _publish_result(self, topic: str, payload: bytes) -> bool:
        """A command's result on cmd/{id}/result (QoS 1); False when not connected (sent later)."""
        if not self.link.connected:
            return False
        return self.link.publish(topic, payload, qos=1).rc == 0

    def _results_if_due(self) -> None:
        """Results the kiosk finished go out within about a quarter of a second."""
        now = time.monotonic()
        if now >= self._next_results:
            self._next_results = now + 0.25
            self.commands.flush()

    def replay(self, args: dict[str, Any]) -> dict[str, Any]:
        """`events.replay`: re-send from `from_seq` of the current epoch (or of the older `epoch` named, whose
        rows still here share the outbox's seq order); what will go, and where the outbox stands."""
        epoch = args.get("epoch", self.drain.epoch)
        start = args["from_seq"] if epoch <= self.drain.epoch else self.drain.last_seq() + 1
        return {"from_seq": self.drain.replay_from(start), "acked_seq": self.drain.acked,
                "last_seq": self.drain.last_seq(), "epoch": self.drain.epoch}

    def _telemetry_if_due(self) -> None:
        """Every telemetry_seconds, and at once when the drain's error state changes."""
        now = time.monotonic()
        if now < self._next_telemetry and self.drain.last_error == self._reported_error:
            return
        self._reported_error = self.drain.last_error
        self._next_telemetry = now + self.config.mqtt.telemetry_seconds
        self.link.publish(self.topics.telemetry, json.dumps(self.telemetry()).encode("utf-8"), qos=0)

    def telemetry(self) -> dict[str, Any]:
        """The telemetry payload as of now (acknowledged events forgotten first, so depth is true)."""
        self.drain.forget(now=True)
        return telemetry.collect(self.conn, self.config, started=self.started, last_seq=self.drain.last_seq(),
                                 sync={"session": self.session, **self.drain.stats()})

    def _shutdown(self) -> None:
        """Forget what was acknowledged, publish `online: false` (retained) and wait for it, then disconnect."""
        try:
            self.drain.forget(now=True)
        except sqlite3.Error as exc:
            log.error("database: %s; acknowledged events will be forgotten next time", exc)
        said = self.link.close(presence.encode(presence.goodbye(self.session)))
        log.info("%s: %s", self.link.where, "offline (said goodbye)" if said else "stopped (was not connected)")


def _matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter match for the `+` wildcard (one level), as the handlers use it."""
    if "+" not in pattern:
        return False
    parts, levels = pattern.split("/"), topic.split("/")
    return len(parts) == len(levels) and all(p in ("+", t) for p, t in zip(parts, levels))
