"""A real NATS server (Debian's nats-server) with JetStream and its MQTT listener, on free loopback ports.

NATS keeps MQTT sessions, QoS 1 messages and retained messages in
JetStream, so each QoS 1 subscription is a JetStream consumer. `consumers`
caps them for the account (`max_consumers`): past it the server refuses
the subscription (SUBACK 0x80), as it does while a cluster cannot set one
up; a clean session's consumers go when it disconnects. MQTT 3.1.1 only (NATS refuses MQTT 5). `District311` is the district's side
for it: stores packs by event id and acknowledges the highest contiguous seq.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from mosquitto import free_port
from paho.mqtt.enums import CallbackAPIVersion

NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"


def available() -> bool:
    return Path(NATS).exists()


class NatsServer:
    """One node; `users`: name → password, all in one JetStream account."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, users: dict[str, str], *, consumers: int = -1) -> None:
        self.folder, self.users = folder, users
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.client_port = free_port(), free_port()
        self.conf = folder / "nats.conf"
        self._write(consumers)
        self.proc: subprocess.Popen | None = None

    def _write(self, consumers: int) -> None:
        users = ", ".join(f"{{user: {json.dumps(u)}, password: {json.dumps(p)}}}" for u, p in self.users.items())
        self.conf.write_text(
            f"server_name: test\nlisten: {self.host}:{self.client_port}\n"
            f"jetstream {{ store_dir: {self.folder / 'js'} }}\n"
            f"accounts {{ district: {{ jetstream: {{ max_mem: 64MB, max_file: 256MB, max_streams: 16, "
            f"max_consumers: {consumers} }}, users: [{users}] }} }}\n"
            f"mqtt {{ listen: {self.host}:{self.port} }}\n")

    def start(self, timeout: float = 10.0) -> "NatsServer":
        log = open(self.folder / "nats.log", "a")
        self.proc = subprocess.Popen([NATS, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen: {self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def log(self) -> str:
        path = self.folder / "nats.log"
        return path.read_text(errors="replace") if path.exists() else ""


def subscriber(server: NatsServer, username: str, password: str, topic: str) -> mqtt.Client:
    """A clean-session 3.1.1 client holding one QoS 1 subscription (one consumer) until it disconnects."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"holder-{free_port()}", protocol=mqtt.MQTTv311,
                         clean_session=True)
    client.username_pw_set(username, password)
    ready = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe(topic, 1)
    client.on_subscribe = lambda *_: ready.set()
    client.connect(server.host, server.port, 30)
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError("the holder could not subscribe")
    return client


class District311:
    """The district's side over MQTT 3.1.1: every station's events stored by id, acked up to the contiguous seq."""

    def __init__(self, server: NatsServer, username: str, password: str) -> None:
        self.lock = threading.Lock()
        self.events: dict[str, dict] = {}
        self.seqs: dict[str, set[int]] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="district-311", protocol=mqtt.MQTTv311,
                                  clean_session=False)
        self.client.username_pw_set(username, password)
        ready = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe("vstation/v1/+/events", 1)
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.connect(server.host, server.port, 30)
        self.client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the district could not subscribe")

    def _on_message(self, client, userdata, msg) -> None:
        station = msg.topic.split("/")[2]
        with self.lock:
            seqs = self.seqs.setdefault(station, set())
            for event in json.loads(msg.payload)["events"]:
                self.events.setdefault(event["id"], event)
                seqs.add(event["seq"])
            upto = 0
            while upto + 1 in seqs:
                upto += 1
        client.publish(f"vstation/v1/{station}/events/ack", json.dumps({"upto_seq": upto}), qos=1)

    def upto(self, station: str) -> int:
        with self.lock:
            seqs, upto = self.seqs.get(station, set()), 0
            while upto + 1 in seqs:
                upto += 1
            return upto

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
