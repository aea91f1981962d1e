"""Outbox drain to a local mosquitto beside a bare paho loop publishing the same events one by one.

Both runs go through the same broker to the same counting subscriber, a
district stand-in in this process. The drain: `vstation sync` as its own
process empties a real outbox of N events (packs of ≤ 100 at QoS 1) and the
subscriber acks every pack (`events/ack`), so the events are also forgotten.
The bare loop: a separate process with paho defaults (loop_start, publish
all N payloads at QoS 1, wait for every PUBACK). Rates are events per second
as the subscriber received them, first to last. Goal (docs/architecture.md, Budgets): ratio ≥ 1.
Run: .venv/bin/python bench/sync_drain.py [events]
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import ROOT, measured, setting

sys.path.insert(0, str(ROOT / "tests"))

import paho.mqtt.client as mqtt  # noqa: E402
from mosquitto import Broker, station_config  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from kiosk import config
from kiosk.base import outbox, store

BARE = """
import sys, time, paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
payloads = [line.rstrip(b"\\n") for line in open(path, "rb")]
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bare-loop", protocol=mqtt.MQTTv5)
c.connect(host, port); c.loop_start()
t0 = time.perf_counter()
infos = [c.publish("bare/events", p, qos=1) for p in payloads]
for info in infos:
    info.wait_for_publish(60)
print(len(payloads) / (time.perf_counter() - t0)); c.disconnect(); c.loop_stop()
"""


class Counter:
    """The district stand-in: counts events per seq (re-sends apart) and acks each pack if asked."""

    def __init__(self, broker: Broker, topic: str, *, ack: bool) -> None:
        self.ack, self.upto, self.copies, self.messages = ack, 0, 0, 0
        self.first = self.last = 0.0
        self._ahead: set[int] = set()
        self.done = threading.Event()
        self.target = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"counter-{uuid.uuid4().hex[:6]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_socket_open = lambda c, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        subscribed.wait(10)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        payload = json.loads(msg.payload)
        seqs = [e["seq"] for e in payload["events"]] if "events" in payload else [payload["seq"]]
        self.messages += 1
        self.copies += len(seqs)
        self._ahead.update(seqs)
        while self.upto + 1 in self._ahead:
            self.upto += 1
            self._ahead.discard(self.upto)
        if self.ack:
            station = msg.topic.split("/")[2]
            client.publish(f"vstation/v1/{station}/events/ack", json.dumps({"upto_seq": self.upto}), qos=1)
        if self.upto >= self.target:
            self.done.set()

    def rate(self) -> float:
        return self.upto / (self.last - self.first) if self.last > self.first else float("nan")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def fill_outbox(db: Path, count: int) -> list[bytes]:
    """`count` ticket events in the outbox (one transaction); return each as the bare loop sends it."""
    conn = store.open_store(db)
    with store.transaction(conn):
        for i in range(count):
            outbox.append(conn, "ticket.issued", {"ticket_id": str(uuid.uuid4()), "service": "consult",
                                                  "number": f"A{i % 1000:03d}", "priority": False})
    events = outbox.take(conn, limit=count)
    conn.close()
    return [json.dumps(e.as_message(), ensure_ascii=False, separators=(",", ":")).encode() for e in events]


def start_sync(path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(path), "sync"], **measured(cwd=ROOT),
                            stderr=subprocess.DEVNULL)


def bare_loop(broker: Broker, payload_file: Path) -> float:
    """Run the bare paho publisher as its own process; its publish-all-wait-all rate in msgs/s."""
    out = subprocess.run([sys.executable, "-c", BARE, broker.host, str(broker.port), str(payload_file)], **measured(),
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def settle(counter: Counter, quiet_s: float = 2.0) -> None:
    """Wait until the subscriber has everything, or nothing more arrived for `quiet_s`."""
    seen = -1
    while not counter.done.is_set() and counter.messages != seen:
        seen = counter.messages
        counter.done.wait(quiet_s)


def outbox_depth(db: Path) -> int:
    conn = store.connect(db)
    try:
        return outbox.depth(conn)
    finally:
        conn.close()


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker").start()
        path = station_config(Path(tmp) / "station", broker, telemetry_seconds=60)
        db = config.load(path).database_path
        payloads = fill_outbox(db, count)
        try:
            drain = Counter(broker, "vstation/v1/+/events", ack=True)
            drain.target = count
            t0 = time.perf_counter()
            sync = start_sync(path)
            drain.done.wait(300)
            total_s = time.perf_counter() - t0
            while outbox_depth(db):
                time.sleep(0.05)
            forgotten_s = time.perf_counter() - t0
            sync.terminate()
            sync.wait(10)
            drain.close()

            payload_file = Path(tmp) / "payloads"
            payload_file.write_bytes(b"\n".join(payloads) + b"\n")
            alone = bare_loop(broker, payload_file)
            bare = Counter(broker, "bare/events", ack=False)
            bare.target = count
            watched = bare_loop(broker, payload_file)
            settle(bare)
            bare.close()
        finally:
            broker.stop()
    size = sum(map(len, payloads)) / len(payloads)
    best_bare = max(alone, watched)
    print(f"sync process and bare loop {setting()}; mosquitto and the district stand-in outside it")
    print(f"{count} events of ~{size:.0f} B, one local mosquitto (default config), district stand-in in this process")
    print(f"outbox drain, vstation sync (packs of <= 100, QoS 1, acked by the district): {drain.rate():,.0f} events/s "
          f"received, {drain.messages} packs, {drain.copies - drain.upto} re-sent, none lost; all received "
          f"{total_s:.2f} s and all forgotten {forgotten_s:.2f} s after the process started")
    print(f"bare paho loop (loop_start, publish all one by one at QoS 1, wait all; inflight 20): "
          f"{alone:,.0f} msgs/s with no subscriber, {watched:,.0f} msgs/s with the subscriber attached, "
          f"which received {bare.messages} of {count} (mosquitto max_queued_messages dropped the rest)")
    print(f"ratio drain / bare: {drain.rate() / best_bare:.1f} (goal >= 1.0; drain as received, bare as PUBACKed)")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
