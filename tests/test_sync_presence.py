"""Presence on `status` and telemetry, as the district sees them on a real mosquitto."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from conftest import ROOT, wait_until
from mosquitto import Broker, District, SyncThread, station_config
from paho.mqtt.enums import CallbackAPIVersion

from kiosk import __version__
from kiosk.base import device_state, store
from kiosk import config as cfg
from kiosk.tickets.calling import Queue
from sync import schemas

STATION = "demo-barkor-01"


def statuses(district: District) -> list[dict]:
    with district.lock:
        return [payload for station, payload, _ in district.status if station == STATION]


def retained_status(broker: Broker) -> tuple[dict, bool]:
    """What a district server starting now would read first on the station's status topic."""
    got: list[tuple[dict, bool]] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="late-reader", protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, *_: c.subscribe(f"vstation/v1/{STATION}/status", 1)
    client.on_message = lambda c, u, m: (got.append((json.loads(m.payload), m.retain)), done.set())
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert done.wait(10), "no retained status"
    finally:
        client.disconnect()
        client.loop_stop()
    return got[0]


def test_birth_is_retained_and_its_session_number_survives_a_restart(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: any(s["online"] for s in statuses(district)), 10)
        sync.stop()
        assert wait_until(lambda: len(statuses(district)) == 2, 10)
        sync = SyncThread(path)
        assert wait_until(lambda: len(statuses(district)) == 3, 10)
        latest, retained = retained_status(broker)
    finally:
        sync.stop()
        district.close()
    birth1, bye, birth2 = statuses(district)[:3]
    assert {k: birth1[k] for k in ("online", "version", "session")} == {"online": True, "version": __version__,
                                                                          "session": 1}
    assert {k: bye[k] for k in ("online", "session")} == {"online": False, "session": 1}
    assert birth2["online"] and birth2["session"] == 2 and birth2["started"] > birth1["started"]
    assert retained and latest == birth2
    assert all(schemas.errors(schemas.STATUS, s) == [] for s in (birth1, bye, birth2))


def test_sigterm_says_goodbye_and_sigkill_leaves_the_last_will(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker)
    command = [sys.executable, "-m", "kiosk", "--config", str(path), "sync"]
    proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: len(statuses(district)) == 1, 15)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert wait_until(lambda: len(statuses(district)) == 2, 10)
        assert statuses(district)[1]["online"] is False and statuses(district)[1]["session"] == 1
        proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        assert wait_until(lambda: len(statuses(district)) == 3, 15)
        proc.kill()                                            # SIGKILL: no goodbye, the broker says it
        proc.wait(timeout=10)
        assert wait_until(lambda: len(statuses(district)) == 4, 10)
    finally:
        if proc.poll() is None:
            proc.kill()
        district.close()
    assert statuses(district)[2]["session"] == 2
    assert statuses(district)[3] == {"online": False, "session": 2}     # the will names the connection
    assert retained_status(broker) == ({"online": False, "session": 2}, True)


def test_a_reconnect_sets_a_last_will_naming_the_new_session(tmp_path: Path, broker: Broker):
    """The will is set before every attempt: after the broker came back, the will of the new connection
    names session 2, so a hub cannot mistake it for the will of session 1 arriving late."""
    path = station_config(tmp_path / "station", broker)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(path), "sync"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: retained_status(broker)[0].get("session") == 1, 15)
        broker.kill()                                            # the broker's machine dies and comes back
        broker.start()
        assert wait_until(lambda: retained_status(broker)[0].get("session") == 2, 30)
        proc.kill()                                              # then the station vanishes
        proc.wait(timeout=10)
        assert wait_until(lambda: retained_status(broker)[0] == {"online": False, "session": 2}, 60)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_telemetry_reports_devices_queue_and_outbox(tmp_path: Path, broker: Broker):
    district = District(broker)
    district.acking = False                                    # the two ticket events stay unconfirmed
    path = station_config(tmp_path / "station", broker)
    config = cfg.load(path)
    conn = store.open_store(config.database_path)
    device_state.record(conn, "printer", "paper_low", {"since": "just now"})
    device_state.record(conn, "reader", "ok")
    device_state.record(conn, "locker.U1", "free")
    device_state.record(conn, "locker.U2", "in_use")
    conn.execute("UPDATE device_state SET updated_at = '2020-01-01T00:00:00.000+00:00' WHERE name = 'locker.U2'")
    Queue(config).issue(conn, "consult")
    Queue(config).issue(conn, "print")
    conn.close()
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: len(district.telemetry) >= 1, 10)
    finally:
        sync.stop()
        district.close()
    station, t = district.telemetry[0]
    assert station == STATION and schemas.errors(schemas.TELEMETRY, t) == []
    assert (t["printer"], t["reader"]) == ("paper_low", "ok")
    assert t["lockers"] == {"U1": "free", "U2": "unknown", "C1": "unknown", "C2": "unknown"}  # stale, never seen
    assert t["tickets_waiting"] == 2
    assert t["outbox"]["depth"] == 2 and t["outbox"]["acked_seq"] == 0 and t["outbox"]["last_seq"] == 2
    assert 0 <= t["outbox"]["oldest_age_s"] < 600
    assert t["sync"]["session"] == 1 and t["sync"]["last_error"] is None
    host = t["host"]
    assert host["mem_total_kb"] > 0 and host["disk_free_bytes"] > 0 and len(host["load"]) == 3
    assert host["uptime_s"] > 0 and (host["cpu_temp_c"] is None or 0 < host["cpu_temp_c"] < 120)
