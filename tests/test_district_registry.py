"""The station registry on the command line: add, rotate and remove a station, and what the broker then allows."""

from __future__ import annotations

import stat
import tomllib

import paho.mqtt.client as mqtt
import pytest
from conftest import vstation
from hub import Rig
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from district.db.engine import reading
from district.db.schema import stations


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path / "district")
    yield r
    r.close()


def logs_in(rig: Rig, user: str, password: str) -> bool:
    """Whether the broker accepts this username and password (a real MQTT 5 CONNECT)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{user}", protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    try:
        return client.connect(rig.broker.host, rig.broker.port, 10) == 0 and _accepted(client)
    finally:
        client.disconnect()


def _accepted(client: mqtt.Client) -> bool:
    import threading
    done, ok = threading.Event(), []
    client.on_connect = lambda c, u, f, reason, p: (ok.append(not reason.is_failure), done.set())
    client.loop_start()
    done.wait(10)
    client.loop_stop()
    return bool(ok and ok[0])


def district(rig: Rig, *args: str):
    return vstation("district", "--config", str(rig.config_path), *args)


def test_add_station_writes_the_kit_and_the_broker_lines(rig):
    done = district(rig, "add-station", "lhasa-cg-01", "--name", "八廓 V站", "--grid", "八廓社区")
    assert done.returncode == 0, done.stderr
    with reading(rig.engine) as conn:
        assert conn.execute(select(stations.c.grid).where(stations.c.id == "lhasa-cg-01")).scalar() == "八廓社区"
    kit = rig.settings.registry.folder / "lhasa-cg-01"
    for name in ("mqtt.secret", "command.key"):
        assert stat.S_IMODE((kit / name).stat().st_mode) == 0o600
    assert len((kit / "command.key").read_text().strip()) == 64
    section = tomllib.loads((kit / "station-mqtt.toml").read_text())["mqtt"]
    assert section == {"enabled": True, "host": "127.0.0.1", "port": rig.broker.port, "username": "lhasa-cg-01",
                       "password_file": "/etc/vstation/mqtt.secret", "command_key_file": "/etc/vstation/command.key"}
    acl = rig.settings.registry.acl_file.read_text()
    assert "pattern readwrite vstation/v1/%u/#" in acl and "user district" in acl
    assert "topic write vstation/v1/+/cmd/+" in acl and "topic read vstation/v1/+/events" in acl
    assert "lhasa-cg-01:" in rig.settings.registry.passwd_file.read_text()
    assert rig.secret("lhasa-cg-01", "mqtt.secret") not in rig.settings.registry.passwd_file.read_text()
    rig.broker.reload()
    assert logs_in(rig, "lhasa-cg-01", rig.secret("lhasa-cg-01", "mqtt.secret"))
    assert not logs_in(rig, "lhasa-cg-01", "not the password")


def test_rotate_keys_and_remove_station_are_one_command_each(rig):
    district(rig, "add-station", "lhasa-cg-01")
    rig.broker.reload()
    old_password, old_key = rig.secret("lhasa-cg-01", "mqtt.secret"), rig.secret("lhasa-cg-01", "command.key")
    done = district(rig, "rotate-keys", "lhasa-cg-01")
    assert done.returncode == 0 and "reload mosquitto" in done.stdout
    rig.broker.reload()
    new_password = rig.secret("lhasa-cg-01", "mqtt.secret")
    assert new_password != old_password and rig.secret("lhasa-cg-01", "command.key") != old_key
    assert not logs_in(rig, "lhasa-cg-01", old_password) and logs_in(rig, "lhasa-cg-01", new_password)
    assert district(rig, "remove-station", "lhasa-cg-01").returncode == 0
    rig.broker.reload()
    assert not logs_in(rig, "lhasa-cg-01", new_password)
    assert "removed" in district(rig, "stations").stdout


@pytest.mark.parametrize(("args", "words"), [
    (("add-station", "Lhasa_01"), "expected 1 to 63 of a-z, 0-9 and -"),
    (("add-station", "district"), "the hub's own MQTT username"),
    (("rotate-keys", "nowhere-01"), "no registered station 'nowhere-01'"),
    (("remove-station", "nowhere-01"), "no registered station 'nowhere-01'"),
])
def test_a_bad_station_id_is_refused_in_words(rig, args, words):
    done = district(rig, *args)
    assert done.returncode == 2 and words in done.stderr


def test_a_station_registered_twice_is_refused(rig):
    assert district(rig, "add-station", "lhasa-cg-01").returncode == 0
    again = district(rig, "add-station", "lhasa-cg-01")
    assert again.returncode == 2 and "already registered" in again.stderr
