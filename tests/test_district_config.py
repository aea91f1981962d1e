"""district.toml is validated like station.toml: every bad key, the value found and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import vstation

from district import settings
from district.errors import SettingsError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "district.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_is_valid_and_relative_paths_are_beside_the_file(tmp_path):
    from importlib import resources

    path = write(tmp_path, resources.files("district").joinpath("district.example.toml").read_text("utf-8"))
    s = settings.load(path)
    assert s.database_url == f"sqlite:///{tmp_path.resolve()}/district.db"
    assert s.registry.passwd_file == tmp_path.resolve() / "passwd"
    assert (s.console.host, s.console.port, s.alerts.offline_minutes) == ("127.0.0.1", 8090, 10)


def test_every_problem_is_named_with_its_key_value_and_what_was_expected(tmp_path):
    path = write(tmp_path, """
[district]
id = "Bad Id"
timezone = "Mars/Olympus"
language = "fr"
[database]
url = "mysql://x"
[mqtt]
port = 0
shared_group = "a b"
hosts = ["node1:1883", "node1:1883"]
protocol = "4"
[console]
listen = "0.0.0.0:8090"
[alerts]
offline_minutes = "ten"
[ingest]
max_payload_kb = 1
colour = "blue"
""")
    with pytest.raises(SettingsError) as caught:
        settings.load(path)
    text = str(caught.value)
    for expected in ('district.id: found "Bad Id", expected an id of a-z, 0-9 and -',
                     "district.name: is required but missing",
                     'district.timezone: found "Mars/Olympus", expected an IANA zone',
                     'district.language: found "fr", expected one of zh, en',
                     'database.url: found "mysql://x", expected "sqlite:///PATH" or',
                     "mqtt.port: found 0, expected a whole number from 1 to 65535",
                     'mqtt.shared_group: found "a b"',
                     'mqtt.hosts: "node1:1883" is listed twice',
                     'mqtt.protocol: found "4", expected one of 5, 3.1.1',
                     'console.listen: found "0.0.0.0:8090" without TLS, expected a loopback address',
                     'alerts.offline_minutes: found "ten", expected a whole number',
                     "ingest.max_payload_kb: found 1, expected a whole number from 16 to 16384",
                     "ingest.colour: is not a known key"):
        assert expected in text, (expected, text)


def test_the_hub_takes_a_clusters_nodes_and_mqtt_3_1_1(tmp_path):
    base = '[district]\nid = "x"\nname = "x"\n[mqtt]\nport = 1884\n'
    s = settings.load(write(tmp_path, base + 'hosts = ["n1", "n2:1885"]\nprotocol = "3.1.1"\n'))
    assert s.mqtt.brokers == (("n1", 1884), ("n2", 1885)) and s.mqtt.protocol == "3.1.1"
    with pytest.raises(SettingsError, match=r'mqtt.shared_group: needs protocol "5"'):
        settings.load(write(tmp_path, base + 'protocol = "3.1.1"\nshared_group = "hub"\n'))


def test_the_command_line_refuses_a_bad_file_in_one_message_and_exit_code_2(tmp_path):
    path = write(tmp_path, '[district]\nid = "x"\nname = "x"\n[mqtt]\nport = "many"\n')
    done = vstation("district", "--config", str(path), "stations")
    assert done.returncode == 2
    assert 'mqtt.port: found "many", expected a whole number from 1 to 65535' in done.stderr
    missing = vstation("--config", str(tmp_path / "none.toml"), "district", "run")
    assert missing.returncode == 2 and "no such file (write one with `vstation district init`)" in missing.stderr
