"""The registry's NATS logins (`registry.broker = "nats"`): what a real nats-server then allows each station.

A single nats-server from Debian (JetStream and MQTT on loopback ports, the
registry's users file included in its `authorization {}` block) stands in
for a cluster's node: the permissions are per node and the same on each.
Clients speak MQTT 3.1.1, the only MQTT that Debian 12's NATS takes.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from conftest import free_port, vstation, wait_until
from hub import district_toml

from paho.mqtt.enums import CallbackAPIVersion

from district import settings as district_settings
from district.hub import open_database
from district.registry import credentials, nats_users

NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"


class Nats:
    """One nats-server with JetStream, its MQTT listener and the registry's users file (NATS reads an include
    relative to the including file, even one written as an absolute path)."""

    def __init__(self, folder: Path, users_file: Path) -> None:
        self.port = free_port()
        self.conf = folder / "nats.conf"
        self.conf.write_text(f'server_name: n1\nlisten: 127.0.0.1:{free_port()}\n'
                             f'jetstream {{ store_dir: "{folder / "js"}" }}\n'
                             f'authorization {{\n  include "{users_file.relative_to(folder)}"\n}}\n'
                             f'mqtt {{ listen: 127.0.0.1:{self.port} }}\n')
        self.log = folder / "nats.log"
        self.proc = subprocess.Popen([NATS, "-c", str(self.conf)], stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        assert wait_until(lambda: "Server is ready" in self.log.read_text() or self.proc.poll() is not None, 15)
        assert self.proc.poll() is None, self.log.read_text()

    def reload(self) -> None:
        """What `nats-server --signal reload` does: SIGHUP, the users file read again."""
        before = self.log.read_text().count("Reloaded")
        self.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: self.log.read_text().count("Reloaded") > before, 10), self.log.read_text()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Client:
    """One MQTT 3.1.1 client with a persistent session, keeping what it receives and its SUBACKs."""

    def __init__(self, nats: Nats, user: str, password: str, client_id: str | None = None) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.granted: list[bool] = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or user, protocol=mqtt.MQTTv311,
                             clean_session=False)
        self.c.username_pw_set(user, password)
        answered, self.accepted = threading.Event(), False
        self.c.on_connect = lambda c, u, f, reason, p: (setattr(self, "accepted", not reason.is_failure),
                                                        answered.set())
        self.c.on_message = lambda c, u, m: self._keep(m.topic, m.payload)
        self.c.on_subscribe = lambda c, u, mid, codes, p: self.granted.extend(not x.is_failure for x in codes)
        self.c.connect("127.0.0.1", nats.port, 30)
        self.c.loop_start()
        answered.wait(10)

    def _keep(self, topic: str, payload: bytes) -> None:
        with self.lock:
            self.got.append((topic, payload))

    def subscribe(self, topic: str) -> bool:
        """Whether NATS granted the QoS 1 subscription."""
        n = len(self.granted)
        self.c.subscribe(topic, 1)
        assert wait_until(lambda: len(self.granted) > n, 10)
        return self.granted[n]

    def publish(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(10)

    def received(self, payload: bytes) -> bool:
        with self.lock:
            return any(p == payload for _, p in self.got)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def district(tmp_path):
    folder = tmp_path / "district"
    folder.mkdir()
    config = district_toml(folder, 1883, None, registry={"broker": "nats"})
    settings = district_settings.load(config)
    credentials.hub_password(settings)
    engine = open_database(settings)
    for station in ("lhasa-cg-01", "lhasa-cg-02"):
        credentials.add(engine, settings, station, station_dir=str(folder / "stations" / station))
    nats = Nats(folder, settings.registry.nats_users_file)
    yield settings, nats, config
    nats.close()
    engine.dispose()


def secret(settings, station: str) -> str:
    return (settings.registry.folder / station / "mqtt.secret").read_text().strip()


def hub_secret(settings) -> str:
    return (settings.path.parent / "hub-mqtt.secret").read_text().strip()


def test_each_station_logs_in_with_its_own_password_and_the_hub_with_its_own(district):
    settings, nats, _ = district
    users_file = settings.registry.nats_users_file
    assert nats_users.users(users_file) == ["district", "lhasa-cg-01", "lhasa-cg-02"]
    text = users_file.read_text() + nats_users.hashes_path(users_file).read_text()
    assert secret(settings, "lhasa-cg-01") not in text and hub_secret(settings) not in text   # hashes only
    assert (users_file.stat().st_mode & 0o777) == 0o640
    assert Client(nats, "lhasa-cg-01", secret(settings, "lhasa-cg-01")).accepted
    assert Client(nats, "district", hub_secret(settings), "hub-1").accepted
    assert not Client(nats, "lhasa-cg-01", secret(settings, "lhasa-cg-02"), "wrong").accepted
    assert not Client(nats, "lhasa-cg-09", "anything").accepted


def test_a_station_speaks_on_its_own_topics_only_and_the_hub_on_every_station_s(district):
    settings, nats, _ = district
    hub = Client(nats, "district", hub_secret(settings), "hub-1")
    assert hub.subscribe("vstation/v1/+/events") and hub.subscribe("vstation/v1/+/status")
    one = Client(nats, "lhasa-cg-01", secret(settings, "lhasa-cg-01"))
    assert one.subscribe("vstation/v1/lhasa-cg-01/events/ack")
    assert one.subscribe("vstation/v1/lhasa-cg-01/cmd/+")
    assert not one.subscribe("vstation/v1/lhasa-cg-02/events/ack")   # another station's acks
    assert not one.subscribe("vstation/v1/+/events")                  # every station's events
    assert not one.subscribe("$MQTT/sub/#")                           # where NATS delivers everyone's QoS 1
    assert not one.subscribe("#")
    one.publish("vstation/v1/lhasa-cg-01/events", b'{"events":"mine"}')
    one.publish("vstation/v1/lhasa-cg-02/events", b'{"events":"forged"}')   # PUBACKed, and dropped
    hub.publish("vstation/v1/lhasa-cg-01/events/ack", b'{"upto_seq":1}')
    assert wait_until(lambda: hub.received(b'{"events":"mine"}') and one.received(b'{"upto_seq":1}'), 10)
    time.sleep(0.5)
    assert not hub.received(b'{"events":"forged"}')
    assert "Publish Violation" in nats.log.read_text()
    one.close()
    hub.close()


def test_a_removed_station_cannot_log_in_after_the_reload_and_a_rotated_one_only_with_its_new_password(district):
    settings, nats, config = district
    old = secret(settings, "lhasa-cg-02")
    done = vstation("district", "--config", str(config), "rotate-keys", "lhasa-cg-02")
    assert done.returncode == 0, done.stderr
    assert "nats-server --signal reload" in done.stdout
    done = vstation("district", "--config", str(config), "remove-station", "lhasa-cg-01")
    assert done.returncode == 0, done.stderr
    nats.reload()
    assert nats_users.users(settings.registry.nats_users_file) == ["district", "lhasa-cg-02"]
    assert not Client(nats, "lhasa-cg-01", "gone", "lhasa-cg-01").accepted
    assert not Client(nats, "lhasa-cg-02", old, "old-password").accepted
    assert Client(nats, "lhasa-cg-02", secret(settings, "lhasa-cg-02")).accepted


def test_a_wrong_broker_name_in_the_registry_is_a_clear_error(tmp_path):
    config = district_toml(tmp_path, 1883, None, registry={"broker": "rabbitmq"})
    done = vstation("district", "--config", str(config), "init")
    assert done.returncode != 0
    assert "registry.broker" in done.stderr and "mosquitto" in done.stderr and "nats" in done.stderr

