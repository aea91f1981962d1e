"""What a three-node cluster does with the contract's MQTT: NATS JetStream against RabbitMQ, side by side.

Each cluster (bench/_cluster.py, from Debian's packages, on loopback) is
asked the questions the stations and the hub depend on, with paho clients
speaking MQTT 3.1.1 (neither Debian version takes MQTT 5):
- a persistent QoS 1 session made on node 1, away while 100 messages are
  published on node 2, resumed on node 3: how many arrive;
- a retained message published on node 1, subscribed on node 3 by its exact
  topic (a station's documents) and by a wildcard (the hub's `+/status`);
- a last will of a client on node 1 that vanishes, seen by a client on node 2;
- node 3, holding a session, killed with SIGKILL while 100 more are published:
  how many the session gets when it comes back on node 2, and how long the
  reconnect took; a retained message published on the killed node before.
Run: .venv/bin/python bench/broker_cluster.py [nats rabbitmq]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

import paho.mqtt.client as mqtt
from _cluster import NatsCluster, RabbitCluster
from _common import setting
from paho.mqtt.enums import CallbackAPIVersion


class Probe:
    """One paho client (3.1.1) on one node, keeping what it receives."""

    def __init__(self, cid: str, port: int, *, clean: bool = False, will: bytes | None = None,
                 v5: bool = False) -> None:
        self.got: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid,
                                  protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, clean_session=None if v5 else clean)
        if will:
            self.client.will_set("probe/status", will, qos=1, retain=True)
        self.client.on_message = self._on_message
        self.ready = threading.Event()
        self.refused: str | None = None
        self.client.on_connect = self._on_connect
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()
        self.ok = self.ready.wait(15) and self.refused is None

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        self.refused = str(reason) if reason.is_failure else None
        self.ready.set()

    def _on_message(self, client, userdata, msg) -> None:
        with self.lock:
            self.got.append((msg.topic, msg.payload, bool(msg.retain)))

    def count(self, prefix: bytes = b"") -> int:
        with self.lock:
            return sum(1 for _, payload, _ in self.got if payload.startswith(prefix))

    def wait_for(self, n: int, prefix: bytes = b"", timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.count(prefix) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.count(prefix)

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, 1)
        time.sleep(0.5)

    def publish(self, topic: str, payloads: list[bytes], *, retain: bool = False) -> None:
        for payload in payloads:
            self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self, *, silently: bool = False) -> None:
        if silently and self.client.socket():
            self.client.socket().shutdown(socket.SHUT_RDWR)     # a vanished station: no DISCONNECT
            time.sleep(0.3)
        self.client.disconnect()
        self.client.loop_stop()


def batch(tag: str, n: int = 100) -> list[bytes]:
    return [f"{tag}-{i}".encode() for i in range(n)]


def questions(cluster) -> list[tuple[str, str]]:
    p = cluster.mqtt_ports
    answers = []
    v5 = Probe("probe-v5", p[0], clean=True, v5=True)
    answers.append(("MQTT 5 CONNECT", "accepted" if v5.ok else f"refused ({v5.refused or 'no answer'})"))
    v5.close()
    sub = Probe("probe-session", p[0])
    sub.subscribe("probe/q")
    sub.close()
    pub = Probe("probe-pub", p[1], clean=True)
    pub.publish("probe/q", batch("away"))
    sub = Probe("probe-session", p[2])
    answers.append(("QoS 1 session: made on node 1, 100 published on node 2 while away, resumed on node 3",
                    f"{sub.wait_for(100, b'away')} of 100"))
    pub.publish("probe/doc/a", [b"doc"], retain=True)
    exact, wild = Probe("probe-exact", p[2], clean=True), Probe("probe-wild", p[2], clean=True)
    exact.subscribe("probe/doc/a")
    wild.subscribe("probe/+/a")
    answers.append(("retained on node 1, subscribed on node 3: exact topic / wildcard",
                    f"{exact.wait_for(1, b'doc', 3)} / {wild.wait_for(1, b'doc', 3)} of 1"))
    watcher = Probe("probe-watch", p[1], clean=True)
    watcher.subscribe("probe/status")
    Probe("probe-dies", p[0], will=b"gone").close(silently=True)
    answers.append(("last will of a client on node 1 that vanished, seen on node 2",
                    "yes" if watcher.wait_for(1, b"gone", 10) else "no"))
    answers += node_killed(cluster, sub, pub)
    for probe in (exact, wild, watcher, pub):
        probe.close()
    return answers


def node_killed(cluster, sub: Probe, pub: Probe) -> list[tuple[str, str]]:
    """Node 3 (the session's) killed; 100 published; the session back on node 2; a retained from node 3."""
    p = cluster.mqtt_ports
    on3 = Probe("probe-on3", p[2], clean=True)
    on3.publish("probe/doc/b", [b"doc-b"], retain=True)
    on3.publish("probe/doc/c", [b"doc-c"], retain=True)
    time.sleep(2.0)                                     # doc-c: PUBACKed 2 s before the kill
    on3.publish("probe/doc/b", [b"doc-b"], retain=True)  # doc-b: again, just before
    on3.close()
    sub.close()
    cluster.kill(2)
    pub.publish("probe/q", batch("dead"))
    began = time.monotonic()
    back = Probe("probe-session", p[1])
    took = time.monotonic() - began
    got = back.wait_for(100, b"dead", 20)
    doc = Probe("probe-doc-b", p[1], clean=True)
    doc.subscribe("probe/doc/b")
    doc.subscribe("probe/doc/c")
    restarted = cluster.start(2)
    answers = [("node 3 killed (SIGKILL): the session resumed on node 2", f"{'yes' if back.ok else 'no'}, "
                f"CONNACK after {took:.2f} s; {got} of 100 published meanwhile"),
               ("retained published on node 3 2 s / just before it was killed, read on node 2",
                f"{doc.wait_for(1, b'doc-c', 3)} / {doc.wait_for(1, b'doc-b', 1)} of 1"),
               ("node 3 back (same folder and ports)", f"listening after {restarted:.1f} s")]
    back.close()
    doc.close()
    return answers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("brokers", nargs="*", default=None, help="nats, rabbitmq (default: both)")
    args = ap.parse_args()
    print(f"three-node clusters on loopback; {setting()}")
    for name in args.brokers or ["nats", "rabbitmq"]:
        cluster = {"nats": NatsCluster, "rabbitmq": RabbitCluster}[name]()
        try:
            took = cluster.start_all()
            time.sleep(3 if name == "nats" else 1)          # JetStream elects its meta leader
            print(f"\n{name}: 3 nodes listening after {took:.1f} s")
            for question, answer in questions(cluster):
                print(f"  {question}: {answer}", flush=True)
        finally:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
