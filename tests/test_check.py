"""`vstation check` as an installer or a technician meets it: one line per item, each failure named."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ROOT, free_port, vstation, wait_healthy
from mosquitto import Broker, make_tls, station_config

from kiosk.upkeep import checkup
from kiosk.base import outbox, store
from kiosk import config as cfg
from kiosk import hardware


def _lines(result) -> dict[str, str]:
    """item → its whole line, for the item lines of the output."""
    out = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in ("ok", "FAIL"):
            item = "card reader" if parts[1] == "card" else parts[1]
            out[item] = line
    return out


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_sound_demo_station_passes_every_item(config_path: Path):
    store.open_store(config_path.parent / "station.db").close()
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result)
    assert list(lines) == ["config", "database", "printer", "card reader", "lockers", "mqtt", "clock"]
    assert all(line.startswith("ok") for line in lines.values())
    assert result.stdout.splitlines()[-1] == "7 of 7 items ok"


def test_a_bad_config_is_one_fail_line_not_a_traceback(config_path: Path):
    _replace(config_path, 'listen = "127.0.0.1:8080"', 'listen = "0.0.0.0:8080"')
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 1
    assert _lines(result)["config"].startswith("FAIL  config")
    assert "kiosk.listen" in result.stdout and "Traceback" not in result.stderr


def test_a_missing_database_is_named_and_not_created(config_path: Path):
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 1
    assert "not found (create it with `vstation init`" in _lines(result)["database"]
    assert not (config_path.parent / "station.db").exists()


@pytest.mark.parametrize("damage", ["header", "page"])
def test_a_corrupt_database_fails_the_database_line(config_path: Path, damage: str):
    db = config_path.parent / "station.db"
    conn = store.open_store(db)
    with store.transaction(conn):
        for n in range(2000):
            outbox.append(conn, "ticket.issued", {"ticket_id": f"t{n}", "pad": "x" * 100})
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    if damage == "header":
        data[:16] = b"not a database!!"
    else:
        page = 4096 * 3                                   # a b-tree page of the events table
        data[page:page + 4096] = bytes([0x0D]) + b"\xff" * 4095
    db.write_bytes(bytes(data))
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 1
    line = _lines(result)["database"]
    assert line.startswith("FAIL  database")
    assert ("not a database" in line) if damage == "header" else ("damaged" in line and "vstation restore" in line)


def test_missing_devices_are_each_named(config_path: Path):
    store.open_store(config_path.parent / "station.db").close()
    _replace(config_path, '[printer]\nkind = "sim"', '[printer]\nkind = "serial"\ndevice = "/dev/vstation-no-printer"')
    _replace(config_path, '[card_reader]\nkind = "sim"',
             '[card_reader]\nkind = "rdm6300"\ndevice = "/dev/vstation-no-reader"')
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 1
    lines = _lines(result)
    assert lines["printer"].startswith("FAIL") and "/dev/vstation-no-printer" in lines["printer"]
    assert lines["card reader"] == "FAIL  card reader  rdm6300 /dev/vstation-no-reader: offline"
    assert lines["lockers"].startswith("ok")
    assert "failed: printer, card reader" in result.stdout.splitlines()[-1]


def test_a_reader_on_a_real_pty_answers(config_path: Path):
    import os
    import pty

    master, slave = pty.openpty()
    try:
        store.open_store(config_path.parent / "station.db").close()
        _replace(config_path, '[card_reader]\nkind = "sim"',
                 f'[card_reader]\nkind = "rdm6300"\ndevice = "{os.ttyname(slave)}"')
        name = os.ttyname(slave)
        result = vstation("--config", str(config_path), "check")
    finally:
        os.close(master)
        os.close(slave)
    assert _lines(result)["card reader"] == f"ok    card reader  rdm6300 {name}: ok"


def test_broker_up_and_broker_down(tmp_path: Path):
    broker = Broker(tmp_path / "broker").start()
    try:
        path = station_config(tmp_path / "station", broker)
        store.open_store(tmp_path / "station" / "station.db").close()
        up = vstation("--config", str(path), "check")
        assert up.returncode == 0, up.stdout
        assert "reachable (plain TCP" in _lines(up)["mqtt"]
    finally:
        broker.stop()
    down = vstation("--config", str(path), "check")
    assert down.returncode == 1
    assert _lines(down)["mqtt"].startswith(f"FAIL  mqtt         127.0.0.1:{broker.port} cannot connect")


def test_tls_handshake_with_the_right_and_a_wrong_ca(tmp_path: Path):
    tls, other = make_tls(tmp_path / "tls"), make_tls(tmp_path / "tls", "other")
    broker = Broker(tmp_path / "broker", tls=tls).start()
    try:
        good = station_config(tmp_path / "good", broker, tls_ca=str(tls.ca))
        bad = station_config(tmp_path / "bad", broker, tls_ca=str(other.ca))
        for path in (good, bad):
            store.open_store(path.parent / "station.db").close()
        ok = vstation("--config", str(good), "check")
        refused = vstation("--config", str(bad), "check")
    finally:
        broker.stop()
    assert ok.returncode == 0, ok.stdout
    assert "certificate verified" in _lines(ok)["mqtt"] and "TLSv1." in _lines(ok)["mqtt"]
    assert refused.returncode == 1
    assert "the broker's certificate is not trusted" in _lines(refused)["mqtt"]


def test_every_node_of_mqtt_hosts_is_probed_and_one_that_answers_is_enough(tmp_path: Path):
    broker = Broker(tmp_path / "broker").start()
    dead = Broker(tmp_path / "dead")                # never started: nothing listens on its port
    try:
        path = station_config(tmp_path / "station", broker,
                              hosts=[f"127.0.0.1:{dead.port}", f"127.0.0.1:{broker.port}"])
        store.open_store(tmp_path / "station" / "station.db").close()
        result = vstation("--config", str(path), "check")
    finally:
        broker.stop()
    line = _lines(result)["mqtt"]
    assert result.returncode == 0, result.stdout
    assert f"127.0.0.1:{dead.port} cannot connect" in line and f"127.0.0.1:{broker.port} reachable" in line


def test_a_broker_that_never_answers_times_out(config_path: Path):
    # a listening socket that never accepts: the TLS handshake gets no answer within the timeout
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    try:
        store.open_store(config_path.parent / "station.db").close()
        ca = make_tls(config_path.parent / "tls").ca
        _replace(config_path, "[mqtt]\nenabled = false\n",
                 f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\ntls_ca = "{ca}"\n')
        lines: list[str] = []
        code = checkup.check_path(config_path, devices=hardware.openers(), out=lines.append, timeout_s=0.5)
    finally:
        server.close()
    assert code == 1
    assert any(line.startswith("FAIL  mqtt") and "no answer within 0.5 s" in line for line in lines)


def test_a_clock_in_1970_fails(config_path: Path):
    store.open_store(config_path.parent / "station.db").close()
    lines: list[str] = []
    code = checkup.check(cfg.load(config_path), devices=hardware.openers(), out=lines.append,
                         clock=lambda: datetime(1970, 1, 1, 0, 0, 12, tzinfo=timezone.utc))
    assert code == 1
    clock = next(line for line in lines if line.split()[1] == "clock")
    assert clock.startswith("FAIL  clock        1970-01-01 00:00:12 UTC: not set")
    assert lines[-1] == "6 of 7 items ok; failed: clock"


def test_a_clock_behind_the_newest_record_fails(config_path: Path):
    conn = store.open_store(config_path.parent / "station.db")
    with store.transaction(conn):
        outbox.append(conn, "ticket.issued", {"ticket_id": "t1"}, ts="2026-11-20T09:00:00.000+00:00")
    conn.close()
    lines: list[str] = []
    code = checkup.check(cfg.load(config_path), devices=hardware.openers(), out=lines.append,
                         clock=lambda: datetime(2026, 11, 18, 9, 0, tzinfo=timezone.utc))
    assert code == 1
    assert any(line.startswith("FAIL  clock") and "2 d 0 h behind the newest record" in line for line in lines)


def test_while_the_kiosk_runs_its_reports_are_shown(config_path: Path, tmp_path: Path):
    port = free_port()
    _replace(config_path, "127.0.0.1:8080", f"127.0.0.1:{port}")
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "kiosk"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        conn = sqlite3.connect(config_path.parent / "station.db")
        while time.monotonic() < deadline and not conn.execute("SELECT COUNT(*) FROM device_state").fetchone()[0]:
            time.sleep(0.1)
        conn.close()
        result = vstation("--config", str(config_path), "check")
    finally:
        kiosk.terminate()
        kiosk.wait(timeout=20)
    lines = _lines(result)
    assert result.returncode == 0, result.stdout
    assert lines["printer"] == "ok    printer      held by the running kiosk, which reports: printer ok"
    assert "held by the running kiosk" in lines["card reader"]
