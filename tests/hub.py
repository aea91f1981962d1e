"""Test helpers of the district hub: a district rig (district.toml, broker, database) and station twins.

`Rig` sets up a district as an operator would: district.toml in a folder,
the hub's account, the mosquitto password_file and acl_file written by the
registry, a real mosquitto reading them, and the hub's database (SQLite, or
PostgreSQL when given a URL). `Twin` is a light station: it logs in with the
credentials `add-station` generated, publishes a birth and event packs the
way the contract says, and records the acks and commands it receives.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from conftest import ROOT, Demo, demo_config, wait_until
from mosquitto import Broker
from paho.mqtt.enums import CallbackAPIVersion

from district import settings as district_settings
from district.hub import Hub, open_database
from district.registry import credentials
from kiosk.base.clock import now_rfc3339
from kiosk.demo import mqtt_block


def district_toml(folder: Path, broker_port: int, db_url: str | None, **sections: dict[str, Any]) -> Path:
    """A district.toml for a test: the broker on loopback, the registry's files in `folder`."""
    tables: dict[str, dict[str, Any]] = {
        "district": {"id": "test-district", "name": "测试街道"},
        "database": {"url": db_url or "sqlite:///district.db"},
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "username": "district",
                 "password_file": "hub-mqtt.secret"},
        "registry": {"broker_host": "127.0.0.1", "broker_port": broker_port},
        "ingest": {"replay_after_s": 1},
    }
    for name, values in sections.items():
        tables.setdefault(name, {}).update(values)
    lines = []
    for name, values in tables.items():
        plain = {k: v for k, v in values.items() if not (isinstance(v, list) and v and isinstance(v[0], dict))}
        lines += [f"[{name}]", *(f"{key} = {toml_value(value)}" for key, value in plain.items())]
        for key in values.keys() - plain.keys():           # a list of tables: [[name.key]] each
            for table in values[key]:
                lines += [f"[[{name}.{key}]]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    path = folder / "district.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CONSOLE_PASSWORD = "correct horse battery"


def csrf(page: bytes) -> str:
    """The CSRF token of a console page's first form."""
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def console_client(app: Any, name: str, password: str = CONSOLE_PASSWORD) -> Any:
    """Flask's test client of the district console, logged in as `name`."""
    client = app.test_client()
    page = client.get("/login").data
    client.post("/login", data={"username": name, "password": password, "csrf_token": csrf(page)})
    return client


def toml_value(value: Any) -> str:
    """Strings, numbers, booleans and lists as JSON spells them (as TOML does); a dict as an inline table."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


class Rig:
    """One district: config, broker with the registry's password and ACL files, database, maybe a hub."""

    def __init__(self, folder: Path, db_url: str | None = None, *, broker_extra: tuple[str, ...] = (),
                 **sections: dict[str, Any]) -> None:
        """`broker_extra`: more mosquitto.conf lines (a benchmark's larger limits)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.broker = Broker(folder / "broker", anonymous=False, password_file=folder / "passwd",
                             acl_file=folder / "acl",
                             extra=("set_tcp_nodelay true", "max_queued_messages 10000", *broker_extra))   # docs/operations.md
        self.config_path = district_toml(folder, self.broker.port, db_url, **sections)
        self.settings = district_settings.load(self.config_path)
        credentials.hub_password(self.settings)
        self.broker.start()
        self.engine = open_database(self.settings)
        self.hub: Hub | None = None
        self.process: subprocess.Popen | None = None

    def add_station(self, station: str, name: str = "", grid: str = "") -> credentials.Kit:
        kit = credentials.add(self.engine, self.settings, station, name, station_dir=str(self.folder / "stations" / station),
                              grid=grid)
        self.broker.reload()
        return kit

    def secret(self, station: str, name: str) -> str:
        return (self.settings.registry.folder / station / name).read_text().strip()

    def start_hub(self) -> Hub:
        """The hub's ingest and outbound loop in this process (no console)."""
        self.hub = Hub(self.settings, self.engine).start()
        assert self.hub.link.wait_connected(10), "the hub did not connect"
        return self.hub

    def stop_hub(self) -> None:
        if self.hub:
            self.hub.stop()
            self.hub = None

    def spawn_hub(self, *args: str) -> subprocess.Popen:
        """`vstation district run` as its own process (so it can be SIGKILLed)."""
        log = open(self.folder / "hub.log", "a", encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "-m", "kiosk", "district", "--config", str(self.config_path),
                                         "run", *args], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        return self.process

    def hub_log(self) -> str:
        path = self.folder / "hub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop_hub()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.engine.dispose()
        self.broker.stop()


class Twin:
    """A light station on the broker: birth, event packs, and what the hub answers."""

    def __init__(self, broker: Broker, station: str, password: str, *, epoch: int | None = None,
                 first_seq: int = 1) -> None:
        self.station, self.epoch, self.first_seq = station, epoch, first_seq
        self.lock = threading.Lock()
        self.acks: list[dict] = []
        self.commands: list[tuple[str, bytes]] = []
        self.documents: dict[str, dict] = {}
        self.seq = first_seq - 1
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=station, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(station, password)
        self.client.will_set(self.topic("status"), b'{"online":false}', qos=1, retain=True)
        self.client.on_message = self._on_message
        self.client.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = threading.Event()
        self.client.on_connect = lambda c, u, f, reason, p: (self.connected.set() if not reason.is_failure else None)
        self.client.connect(broker.host, broker.port, 30)
        self.client.loop_start()
        assert self.connected.wait(10), f"{station} could not log in"
        for leaf in ("events/ack", "cmd/+", "config", "roster", "catalog", "notices"):
            self.client.subscribe(self.topic(leaf), qos=1)

    def topic(self, leaf: str) -> str:
        return f"vstation/v1/{self.station}/{leaf}"

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        leaf = msg.topic.split("/", 3)[3]
        with self.lock:
            if leaf == "events/ack":
                self.acks.append(json.loads(msg.payload))
            elif leaf.startswith("cmd/"):
                self.commands.append((msg.topic, msg.payload))
            else:
                self.documents[leaf] = json.loads(msg.payload)

    def birth(self, session: int = 1) -> None:
        status: dict[str, Any] = {"online": True, "version": "0.1.0", "started": now_rfc3339(), "session": session,
                                  "ts": now_rfc3339()}
        if self.epoch is not None:
            status.update(epoch=self.epoch, epoch_first_seq=self.first_seq)
        self.publish("status", json.dumps(status).encode(), retain=True)

    def event(self, type_: str = "ticket.issued", data: dict | None = None, *, seq: int | None = None,
              ts: str | None = None) -> dict:
        """A new event (the next seq unless given)."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        event = {"id": str(uuid.uuid4()), "seq": seq, "type": type_, "ts": ts or now_rfc3339(),
                 "data": data or {"ticket_id": f"t{seq}"}}
        if self.epoch is not None:
            event["epoch"] = self.epoch
        return event

    def send(self, events: list[dict]) -> None:
        self.publish("events", json.dumps({"events": events, "ts": now_rfc3339()}).encode())

    def publish(self, leaf: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(self.topic(leaf), payload, qos=1, retain=retain).wait_for_publish(10)

    def acked(self, epoch: int | None = None) -> int:
        """The highest upto_seq acknowledged (for `epoch`, or any)."""
        with self.lock:
            seqs = [a["upto_seq"] for a in self.acks if epoch is None or a.get("epoch", 0) == epoch]
        return max(seqs, default=-1)

    def wait_acked(self, upto: int, timeout: float = 10, epoch: int | None = None) -> bool:
        return wait_until(lambda: self.acked(epoch) >= upto, timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def linked_demo(rig: Rig, station: str, folder, *, grid: str = "") -> Demo:
    """The demo station under another id, its [mqtt] section the kit the registry made for it."""
    kit = rig.add_station(station, grid=grid)
    path = demo_config(folder)
    text = path.read_text(encoding="utf-8").replace('id = "demo-barkor-01"', f'id = "{station}"', 1)
    keys = {"enabled": True, "host": rig.broker.host, "port": rig.broker.port, "username": station,
            "password_file": str(kit.folder / "mqtt.secret"), "command_key_file": str(kit.folder / "command.key"),
            "telemetry_seconds": 5}
    path.write_text(text.replace("[mqtt]\nenabled = false\n", mqtt_block(keys)), encoding="utf-8")
    return Demo(folder)
