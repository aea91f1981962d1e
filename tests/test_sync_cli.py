"""The command line with a real broker: `vstation run --simulate --mqtt HOST:PORT`, `vstation sync`."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from conftest import Demo, vstation, wait_until
from mosquitto import Broker, District, station_config

STATION = "demo-barkor-01"


def test_the_demo_with_mqtt_reports_to_the_district_end_to_end(tmp_path: Path, broker: Broker):
    district = District(broker)
    demo = Demo(tmp_path / "demo", "--mqtt", f"{broker.host}:{broker.port}")
    try:
        assert wait_until(lambda: any(s == STATION and p["online"] for s, p, _ in district.status), 15)
        request = urllib.request.Request(demo.url + "/api/v1/tickets", data=json.dumps({"service": "consult"}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            ticket = json.load(response)
        assert wait_until(lambda: any(e["type"] == "ticket.issued" for e in list(district.events.values())), 10)
        assert wait_until(lambda: len(district.telemetry) >= 1, 10)
    finally:
        output = demo.stop()
        district.close()
    issued = next(e for e in district.events.values() if e["type"] == "ticket.issued")
    assert issued["data"]["ticket_id"] == ticket["id"]
    assert "district sync: 127.0.0.1:" in output
    assert wait_until(lambda: district.status[-1][1]["online"] is False, 10)      # the demo's sync said goodbye


def test_sync_with_an_unreadable_password_file_is_one_clear_line(tmp_path: Path, broker: Broker):
    path = station_config(tmp_path / "station", broker, username=STATION, password_file="missing.secret")
    result = vstation("--config", str(path), "sync", timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"mqtt.password_file {tmp_path / 'station' / 'missing.secret'}: "
                                          "cannot be read (No such file or directory)")


def test_an_unknown_protocol_is_refused_with_the_key_named(tmp_path: Path, broker: Broker):
    path = station_config(tmp_path / "station", broker, protocol="4")
    result = vstation("--config", str(path), "sync", timeout=30)
    assert result.returncode == 2 and "mqtt.protocol" in result.stderr and "5, 3.1.1" in result.stderr
