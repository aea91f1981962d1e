"""Configuration: the demo loads; every mistake names the key, the value and what was expected."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk import demo
from kiosk.base.errors import ConfigError


def demo_raw() -> dict:
    text = (Path(demo.__file__).parent / "station.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def problems(raw: dict) -> str:
    with pytest.raises(ConfigError) as err:
        cfg.parse(raw, Path("/etc/vstation/station.toml"))
    return str(err.value)


def test_demo_config_loads_with_relative_database(config_path: Path):
    config = cfg.load(config_path)
    assert config.station.id == "demo-barkor-01"
    assert config.database_path == config_path.parent / "station.db"
    assert [s.prefix for s in config.services] == ["A", "B", "C"]
    assert config.lockers.slots[0].purpose == "umbrella"
    assert config.kiosk.host == "127.0.0.1" and config.kiosk.port == 8080


@pytest.mark.parametrize("section, key, value, expected", [
    ("printer", "kind", "laser", 'printer.kind: found "laser", expected one of usb, serial, network, file, sim'),
    ("card_reader", "kind", "nfc", 'card_reader.kind: found "nfc", expected one of rdm6300'),
    ("station", "id", "Barkor 01", 'station.id: found "Barkor 01", expected lower-case letters'),
    ("station", "language", "fr", 'station.language: found "fr", expected one of zh, bo, en'),
    ("station", "timezone", "Mars/Olympus", 'station.timezone: found "Mars/Olympus", expected an IANA zone'),
    ("kiosk", "listen", "0.0.0.0:8080", 'kiosk.listen: found "0.0.0.0:8080", expected a loopback address'),
    ("kiosk", "idle_seconds", 2, "kiosk.idle_seconds: found 2, expected a whole number from 10 to 3600"),
    ("kiosk", "idle_seconds", "60", 'kiosk.idle_seconds: found "60", expected a whole number'),
    ("mqtt", "enabled", "yes", 'mqtt.enabled: found "yes", expected true or false'),
])
def test_a_bad_value_names_key_value_and_expectation(section, key, value, expected):
    raw = demo_raw()
    raw[section][key] = value
    assert expected in problems(raw)


def test_a_misspelt_key_is_refused_not_ignored():
    raw = demo_raw()
    raw["printer"]["proflie"] = "NT-80-V-UL"
    assert "printer.proflie: is not a known key" in problems(raw)


def test_a_missing_required_key_is_named():
    raw = demo_raw()
    del raw["station"]["id"]
    raw["printer"] = {"kind": "usb"}
    text = problems(raw)
    assert "station.id: is required but missing" in text
    assert "printer.vendor_id: is required but missing" in text


def test_every_problem_is_reported_at_once():
    raw = demo_raw()
    raw["printer"]["kind"] = "laser"
    raw["station"]["language"] = "fr"
    raw["lockers"]["slot"][1]["id"] = "U1"
    text = problems(raw)
    assert "printer.kind" in text and "station.language" in text
    assert 'lockers.slot: id "U1" appears twice' in text
    # a bad kind does not cascade into that kind's own keys
    assert "vendor_id" not in text


def test_enabling_mqtt_requires_a_host():
    raw = demo_raw()
    raw["mqtt"] = {"enabled": True}
    assert "mqtt.host: is required but missing" in problems(raw)


def test_mqtt_hosts_lists_the_nodes_of_a_cluster_in_order():
    raw = demo_raw()
    raw["mqtt"] = {"enabled": True, "port": 8883,
                   "hosts": ["mqtt1.district.example", "mqtt2.district.example:1884", "[fd00::3]:8884"]}
    mqtt = cfg.parse(raw, Path("/etc/vstation/station.toml")).mqtt
    assert mqtt.brokers == (("mqtt1.district.example", 8883), ("mqtt2.district.example", 1884), ("fd00::3", 8884))
    assert (mqtt.host, mqtt.port) == ("mqtt1.district.example", 8883)      # the first, where one is shown
    raw["mqtt"] = {"enabled": True, "host": "mqtt.district.example"}
    assert cfg.parse(raw, Path("/etc/vstation/station.toml")).mqtt.brokers == (("mqtt.district.example", 8883),)


@pytest.mark.parametrize("hosts, expected", [
    (["mqtt1:0"], 'mqtt.hosts: found "mqtt1:0", expected "HOST" or "HOST:PORT" such as "mqtt1.district.example:8883"'),
    (["mqtt1:99999"], 'mqtt.hosts: found "mqtt1:99999", expected "HOST" or "HOST:PORT"'),
    (["mqtt 1"], 'mqtt.hosts: found "mqtt 1", expected "HOST" or "HOST:PORT"'),
    (["a:1883", "a:1883"], 'mqtt.hosts: "a:1883" is listed twice'),
    ("a:1883", 'mqtt.hosts: found "a:1883", expected a list of texts'),
])
def test_bad_mqtt_hosts_are_named(hosts, expected):
    raw = demo_raw()
    raw["mqtt"] = {"enabled": True, "hosts": hosts}
    assert expected in problems(raw)


def test_mqtt_host_and_hosts_together_are_refused():
    raw = demo_raw()
    raw["mqtt"] = {"enabled": True, "host": "a", "hosts": ["b", "c"]}
    assert "mqtt.host: give mqtt.host or mqtt.hosts, not both" in problems(raw)


def test_localized_text_needs_chinese():
    raw = demo_raw()
    raw["station"]["name"] = {"en": "Only English"}
    assert "station.name" in problems(raw)


def test_invalid_toml_and_missing_file_are_one_clear_line(tmp_path: Path):
    bad = tmp_path / "station.toml"
    bad.write_text("[station\nid = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        cfg.load(bad)
    with pytest.raises(ConfigError, match="no such configuration file.*vstation init"):
        cfg.load(tmp_path / "absent.toml")


def test_config_path_precedence(monkeypatch):
    monkeypatch.delenv("VSTATION_CONFIG", raising=False)
    assert cfg.config_path(None) == Path("/etc/vstation/station.toml")
    monkeypatch.setenv("VSTATION_CONFIG", "/srv/env.toml")
    assert cfg.config_path(None) == Path("/srv/env.toml")
    assert cfg.config_path("/srv/cli.toml") == Path("/srv/cli.toml")


def test_example_config_of_init_is_valid():
    from importlib import resources

    text = resources.files("kiosk").joinpath("station.example.toml").read_text(encoding="utf-8")
    text = text.replace("@STATION_ID@", "lhasa-cg-barkor-01").replace("@DATABASE@", "/var/lib/vstation/station.db")
    config = cfg.parse(tomllib.loads(text), Path("/etc/vstation/station.toml"))
    assert config.printer.kind == "usb" and config.printer.options["vendor_id"] == 0x0416
    assert config.mqtt.username == "lhasa-cg-barkor-01"
