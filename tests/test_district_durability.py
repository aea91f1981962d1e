"""The hub loses nothing and applies nothing twice: a real station, a hub killed with SIGKILL, a database that stops.

The station is the real sync process (`vstation sync`) with the credentials
`add-station` made, draining an outbox full of events; the hub is the real
`vstation district run` process, killed with SIGKILL at arbitrary moments
and started again. PostgreSQL is stopped under a running hub: no ack goes
out while it is down, and ingest resumes when it is back.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys

from conftest import ROOT, wait_until
from hub import Rig
from mosquitto import station_config
from sqlalchemy import func, select
from test_sync_drain import append_events, depth

from district.db.engine import reading
from district.db.schema import events, stations
from kiosk import config as cfg

STATION = "demo-barkor-01"


def linked_station(rig: Rig, folder) -> tuple:
    """The demo station's config, with the [mqtt] credentials the registry generated for it."""
    kit = rig.add_station(STATION)
    path = station_config(folder, rig.broker, username=STATION, password_file=str(kit.folder / "mqtt.secret"),
                          command_key_file=str(kit.folder / "command.key"))
    return path, cfg.load(path).database_path


def start_sync(path, folder) -> subprocess.Popen:
    log = open(folder / "sync.log", "a", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(path), "sync"], stdout=log,
                            stderr=subprocess.STDOUT, cwd=ROOT)


def hub_counts(rig: Rig) -> tuple[int, int, int, int]:
    with reading(rig.engine) as conn:
        row = conn.execute(select(func.count(), func.count(events.c.id.distinct()), func.min(events.c.seq),
                                  func.max(events.c.seq)).where(events.c.station_id == STATION)).one()
    return tuple(row)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_hub_killed_at_any_moment_loses_nothing_and_stores_nothing_twice(tmp_path, db_url):
    rig = Rig(tmp_path / "district", db_url)
    path, station_db = linked_station(rig, tmp_path / "station")
    total = 3000
    append_events(station_db, total)
    sync = start_sync(path, tmp_path / "station")
    chance = random.Random(19)
    try:
        for _ in range(5):
            hub = rig.spawn_hub("--no-console")
            wait_until(lambda: hub_counts(rig)[0] > 0, 30)
            pause = chance.uniform(0.2, 1.5)
            wait_until(lambda: False, pause)        # let it work for a moment, mid-pack
            hub.send_signal(signal.SIGKILL)
            hub.wait(10)
        rig.spawn_hub("--no-console")
        assert wait_until(lambda: depth(station_db) == 0, 180), (rig.hub_log()[-3000:],
                                                                 (tmp_path / "station/sync.log").read_text()[-3000:])
        assert hub_counts(rig) == (total, total, 1, total)
    finally:
        stop(sync)
        rig.close()


def test_a_stopped_postgresql_gets_no_ack_loses_nothing_and_ingest_resumes(tmp_path, postgres):
    url = postgres.create_database()
    rig = Rig(tmp_path / "district", url)
    path, station_db = linked_station(rig, tmp_path / "station")
    append_events(station_db, 200)
    sync = start_sync(path, tmp_path / "station")
    rig.spawn_hub("--no-console")
    try:
        assert wait_until(lambda: depth(station_db) == 0, 60)
        rig.engine.dispose()
        postgres.stop()
        try:
            append_events(station_db, 300)
            wait_until(lambda: "database unavailable" in rig.hub_log(), 30)
            assert "database unavailable" in rig.hub_log()
            wait_until(lambda: False, 3)                 # the station keeps sending; nothing may be acked
            assert depth(station_db) == 300
        finally:
            postgres.start()
        assert wait_until(lambda: depth(station_db) == 0, 120), rig.hub_log()[-3000:]
        assert "ingest resumes" in rig.hub_log()
        assert hub_counts(rig) == (500, 500, 1, 500)
    finally:
        stop(sync)
        rig.close()


def test_a_station_restored_from_a_backup_is_recognised_and_both_histories_are_kept(tmp_path):
    rig = Rig(tmp_path / "district")
    path, station_db = linked_station(rig, tmp_path / "station")
    rig.start_hub()
    try:
        append_events(station_db, 10)
        sync = start_sync(path, tmp_path / "station")
        assert wait_until(lambda: depth(station_db) == 0 and hub_counts(rig)[0] == 10, 60)
        backup = vstation_cli("--config", str(path), "backup", str(tmp_path / "backups"))
        append_events(station_db, 5)                                   # after the backup: lost by the restore
        assert wait_until(lambda: depth(station_db) == 0 and hub_counts(rig)[0] == 15, 60)
        stop(sync)
        saved = sorted((tmp_path / "backups").glob("*.db"))[-1]
        assert backup.returncode == 0 and vstation_cli("--config", str(path), "restore", str(saved)).returncode == 0
        append_events(station_db, 3)
        sync = start_sync(path, tmp_path / "station")
        assert wait_until(lambda: depth(station_db) == 0 and hub_counts(rig)[0] == 18, 60), rig.hub_log()[-2000:]
        with reading(rig.engine) as conn:
            station = conn.execute(select(stations).where(stations.c.id == STATION)).one()
            kept = conn.execute(select(events.c.epoch, func.min(events.c.seq), func.max(events.c.seq))
                                .group_by(events.c.epoch).order_by(events.c.epoch)).all()
        assert station.restored_at is not None and station.previous_epoch < station.epoch
        assert [(seqs[1], seqs[2]) for seqs in kept] == [(1, 15), (11, 13)]   # new epoch's seq follows the backup
        assert [seqs[0] for seqs in kept] == [station.previous_epoch, station.epoch]
    finally:
        stop(sync)
        rig.close()


def vstation_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
