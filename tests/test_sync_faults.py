"""Bad links: wrong credentials, TLS mismatch, ACL refusal, and MQTT 3.1.1 instead of 5."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import wait_until
from dataclasses import replace

from mosquitto import Broker, District, SyncThread, client_cert, make_tls, station_config
from test_sync_drain import append_events, depth

from kiosk import config as cfg

STATION = "demo-barkor-01"
PASSWORDS = {"district": "district-pw", STATION: "barkor-01-pw", "demo-barkor-02": "barkor-02-pw"}
ACL = """\
user district
topic readwrite vstation/#

# every station reads and writes its own topics only
pattern readwrite vstation/v1/%u/#
# and anyone may report telemetry, so a refused station can still say what is wrong
pattern write vstation/v1/+/telemetry
"""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("tls")
    return {"district": make_tls(folder, "district"), "other": make_tls(folder, "other")}


def secret(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mqtt.secret"
    path.write_text(text + "\n")
    return path


def test_wrong_password_is_one_clear_line_per_retry_and_never_logged(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    broker = Broker(tmp_path / "broker", anonymous=False, users=PASSWORDS).start()
    path = station_config(tmp_path / "station", broker, username=STATION,
                          password_file=str(secret(tmp_path / "station", "Wr0ng-Pa55word")))
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: caplog.text.count("refused the connection") >= 2, 15)   # retried, no crash
        assert sync.thread.is_alive()
    finally:
        sync.stop()
        broker.stop()
    assert "refused the connection: Not authorized (135); check mqtt.username and mqtt.password_file" in caplog.text
    assert "Wr0ng-Pa55word" not in caplog.text


def test_a_broker_certificate_from_another_ca_is_named_in_the_log(tmp_path: Path, certificates, caplog):
    caplog.set_level(logging.WARNING)
    broker = Broker(tmp_path / "broker", tls=certificates["district"]).start()
    path = station_config(tmp_path / "station", broker, tls_ca=str(certificates["other"].ca))
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: "certificate is not trusted" in caplog.text, 15)
    finally:
        sync.stop()
        broker.stop()
    assert "cannot connect: TLS: the broker's certificate is not trusted (" in caplog.text
    assert "check mqtt.tls_ca" in caplog.text


def test_with_the_right_ca_events_travel_over_tls(tmp_path: Path, certificates):
    broker = Broker(tmp_path / "broker", tls=certificates["district"]).start()
    district = District(broker, tls_ca=certificates["district"].ca)
    path = station_config(tmp_path / "station", broker, tls_ca=str(certificates["district"].ca))
    append_events(cfg.load(path).database_path, 30)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 30, 15)
    finally:
        sync.stop()
        district.close()
        broker.stop()


def test_a_broker_that_requires_client_certificates_takes_the_configured_one(tmp_path: Path, certificates,
                                                                            caplog):
    caplog.set_level(logging.WARNING)
    tls = replace(certificates["district"], require_client_cert=True)
    broker = Broker(tmp_path / "broker", tls=tls).start()
    district_cert, district_key = client_cert(tls, tmp_path, "district")
    district = District(broker, tls_ca=tls.ca, tls_cert=district_cert, tls_key=district_key)
    path = station_config(tmp_path / "station", broker, tls_ca=str(tls.ca))          # no client certificate
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: "closed the connection before accepting it" in caplog.text, 15)
    finally:
        sync.stop()
    assert "does it want a client certificate (mqtt.tls_cert, mqtt.tls_key)" in caplog.text
    cert, key = client_cert(tls, tmp_path, STATION)
    path.write_text(path.read_text().replace("[mqtt]\n", f'[mqtt]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'))
    append_events(cfg.load(path).database_path, 10)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 10, 15)
    finally:
        sync.stop()
        district.close()
        broker.stop()


def test_acl_refusal_keeps_events_queued_and_says_so_until_the_right_account_is_used(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO)
    broker = Broker(tmp_path / "broker", anonymous=False, users=PASSWORDS, acl=ACL).start()
    district = District(broker, username="district", password=PASSWORDS["district"])
    folder = tmp_path / "station"
    path = station_config(folder, broker, username="demo-barkor-02",          # another station's account
                          password_file=str(secret(folder, PASSWORDS["demo-barkor-02"])))
    db = cfg.load(path).database_path
    append_events(db, 50)
    sync = SyncThread(path, retry_min_s=0.2)
    try:
        assert wait_until(lambda: any(t["sync"]["last_error"] for _, t in district.telemetry), 15)
        assert wait_until(lambda: caplog.text.count("broker refused events") >= 1, 5)
        assert depth(db) == 50 and district.events == {}
    finally:
        sync.stop()
    error = next(t["sync"]["last_error"] for _, t in district.telemetry if t["sync"]["last_error"])
    assert error == "broker refused events: Not authorized (135)"
    assert "refused the birth on vstation/v1/demo-barkor-01/status: Not authorized (135)" in caplog.text

    text = path.read_text().replace('username = "demo-barkor-02"', f'username = "{STATION}"')
    path.write_text(text)
    secret(folder, PASSWORDS[STATION])
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 50 and depth(db) == 0, 15)
    finally:
        sync.stop()
        district.close()
        broker.stop()
    assert sorted(e["seq"] for e in district.events.values()) == list(range(1, 51))


def test_mqtt_3_1_1_is_selectable(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker, protocol="3.1.1")
    db = cfg.load(path).database_path
    append_events(db, 120)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 120 and depth(db) == 0, 15)
        assert wait_until(lambda: any(s["online"] for _, s, _ in district.status), 5)
    finally:
        sync.stop()
        district.close()
    assert f"as {STATION} (p2, c0" in broker.log()      # mosquitto: p2 = MQTT 3.1.1, c0 = persistent session
