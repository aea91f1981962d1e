"""The station's epoch (/work/notes/epoch.md, docs/mqtt.md "Epoch"): a restore rewinds seq, the epoch tells.

The contract: every database has an epoch (Unix ms when its history began), a
restore starts a larger one whose first seq follows the restored database's
last, every event and birth carries it, and an ack names the epoch it covers.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import vstation, wait_until
from mosquitto import Broker, District, SyncThread, station_config

from kiosk import config as cfg
from kiosk.base import outbox, store
from kiosk.tickets.calling import Queue
from kiosk.upkeep import backup
from sync.drain import Drain, Tuning

STATION = "demo-barkor-01"


def now_ms() -> int:
    return int(time.time() * 1000)


def append(conn: sqlite3.Connection, count: int) -> list[outbox.Event]:
    with store.transaction(conn):
        return [outbox.append(conn, "ticket.issued", {"ticket_id": f"T{i}"}) for i in range(count)]


def test_a_new_database_begins_its_epoch_now_and_every_event_carries_it(tmp_path: Path):
    before = now_ms()
    conn = store.open_store(tmp_path / "station.db")
    epoch = outbox.current_epoch(conn)
    assert before - 1000 <= epoch.epoch <= now_ms() + 1000 and epoch.first_seq == 1
    events = append(conn, 3)
    assert {e.epoch for e in events} == {epoch.epoch}
    assert [e.as_message()["epoch"] for e in outbox.take(conn)] == [epoch.epoch] * 3


def test_a_database_from_before_epochs_gets_one_by_migration(tmp_path: Path):
    conn = store.connect(tmp_path / "station.db")
    store.migrate(conn, upto=14)
    with store.transaction(conn):
        conn.execute("INSERT INTO events (id, type, ts, data) VALUES ('e1', 'card.unknown', '2026-01-01', '{}')")
    store.migrate(conn)
    epoch = outbox.current_epoch(conn)
    assert epoch.epoch > 1_700_000_000_000 and epoch.first_seq == 1
    assert [tuple(r) for r in conn.execute("SELECT epoch FROM events")] == [(epoch.epoch,)]


def test_a_new_epoch_is_larger_and_starts_after_the_last_seq_written(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    append(conn, 5)
    outbox.forget(conn, 5)
    first = outbox.current_epoch(conn).epoch
    assert outbox.begin_epoch(conn, now_ms=first - 10_000) == outbox.Epoch(first + 1, 6)    # a clock set back
    assert outbox.begin_epoch(conn, after=first + 50, now_ms=first).epoch == first + 51
    later = outbox.begin_epoch(conn, now_ms=first + 10**6)
    assert later.epoch == first + 10**6
    assert [(e.seq, e.epoch) for e in append(conn, 1)] == [(6, later.epoch)]


def drained(conn: sqlite3.Connection) -> Drain:
    """A drain that has sent every event of the outbox (its publish is a counter)."""
    sent = []
    drain = Drain(conn, lambda payload: (sent.append(payload) or len(sent), 0), Tuning(pack_events=100))
    drain.pump()
    return drain


def remaining(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """(seq, epoch) of every event still in the outbox."""
    return [tuple(r) for r in conn.execute("SELECT seq, epoch FROM events ORDER BY seq")]


def test_an_ack_forgets_the_events_up_to_its_epoch_and_seq_in_that_order(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    old = outbox.current_epoch(conn).epoch
    append(conn, 5)                                           # seq 1-5 in the old epoch
    new = outbox.begin_epoch(conn, now_ms=old + 1000).epoch   # as a restore would
    append(conn, 3)                                           # seq 6-8 in the new one
    drain = drained(conn)
    assert not drain.acknowledged(99, epoch=new + 1)          # an epoch this station never had
    assert drain.acknowledged(3, epoch=old) and drain.forget(now=True) == 3
    assert remaining(conn) == [(4, old), (5, old), (6, new), (7, new), (8, new)]
    assert drain.acknowledged(10**6, epoch=old)               # an older epoch: only its own events go
    drain.forget(now=True)
    assert remaining(conn) == [(6, new), (7, new), (8, new)]
    assert drain.acknowledged(7)                              # no epoch: the station's current one
    drain.forget(now=True)
    assert remaining(conn) == [(8, new)]
    assert not drain.acknowledged(10**6, epoch=old)           # nothing of the old epoch is left to forget
    assert drain.acknowledged(8, epoch=new) and drain.forget(now=True) == 1 and outbox.depth(conn) == 0


def test_an_ack_of_the_new_epoch_also_covers_every_older_event(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    old = outbox.current_epoch(conn).epoch
    append(conn, 4)
    new = outbox.begin_epoch(conn, now_ms=old + 1000).epoch
    append(conn, 2)                                           # seq 5-6
    drain = drained(conn)
    assert drain.acknowledged(5, epoch=new)
    drain.forget(now=True)
    assert remaining(conn) == [(6, new)]


def test_a_restore_from_backup_begins_a_new_epoch(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    append(conn, 3)
    first = outbox.current_epoch(conn).epoch
    conn.close()
    copy = backup.backup(tmp_path / "station.db", tmp_path / "copy.db").path
    conn = store.open_store(tmp_path / "station.db")
    append(conn, 4)                                           # seq 4-7: the district will have seen these
    conn.close()
    backup.restore(copy, tmp_path / "station.db")
    conn = store.open_store(tmp_path / "station.db")
    epoch = outbox.current_epoch(conn)
    assert epoch.epoch > first and epoch.first_seq == 4
    assert [(e.seq, e.epoch) for e in append(conn, 1)] == [(4, epoch.epoch)]   # seq 4 again, in another epoch


@pytest.fixture
def linked(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker)
    yield path, cfg.load(path), district
    district.close()


def issue(config: cfg.Config, count: int) -> None:
    conn = store.open_store(config.database_path)
    for _ in range(count):
        Queue(config).issue(conn, "consult")
    conn.close()


def acked(config: cfg.Config) -> int:
    conn = store.open_store(config.database_path)
    try:
        return outbox.acked_seq(conn)
    finally:
        conn.close()


def test_a_real_restore_the_district_tells_apart_and_loses_nothing(linked, tmp_path: Path):
    """vstation backup and vstation restore on a station linked to a real mosquitto: the district stand-in
    stores events unique by (epoch, seq) and by id, and acks per epoch, as the contract says."""
    path, config, district = linked
    issue(config, 3)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 3, 15)
        district.acking = False                               # seq 4 is sent, not yet acknowledged …
        issue(config, 1)
        assert wait_until(lambda: any(e["seq"] == 4 for e in district.arrivals), 10)
        assert wait_until(lambda: acked(config) == 3, 10)
        copy = tmp_path / "copy.db"
        assert vstation("--config", str(path), "backup", str(copy)).returncode == 0    # … when the backup is made
        district.acking = True
        issue(config, 3)                                      # seq 5-7 follow, all acknowledged
        assert wait_until(lambda: district.upto(STATION) == 7, 15)
    finally:
        sync.stop()
    old_epoch = district.arrivals[0]["epoch"]
    restored = vstation("--config", str(path), "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    issue(config, 2)                                          # the restored station writes seq 5 and 6 again
    sync = SyncThread(path)
    try:
        births = lambda: [s for _, s, _ in district.status if s.get("online")]      # noqa: E731
        assert wait_until(lambda: len(births()) == 2, 15)
        birth = births()[-1]
        assert birth["epoch"] > old_epoch and birth["epoch_first_seq"] == 5
        assert wait_until(lambda: district.upto(STATION, birth["epoch"]) == 6, 15)   # the new epoch's 5 and 6
        conn = store.open_store(config.database_path)
        assert wait_until(lambda: outbox.depth(conn) == 0, 10)  # seq 4 (old epoch) went again and was acked
        conn.close()
    finally:
        sync.stop()
    assert district.collisions == [] and district.mismatches == []   # no (epoch, seq) reused for other content
    by_epoch = sorted((e["epoch"], e["seq"]) for e in district.events.values())
    assert by_epoch == [(old_epoch, s) for s in range(1, 8)] + [(birth["epoch"], 5), (birth["epoch"], 6)]
    resent = [e for e in district.arrivals if e["seq"] == 4]
    assert len(resent) == 2 and {e["epoch"] for e in resent} == {old_epoch}


def test_the_birth_names_the_epoch_and_where_it_begins(linked):
    path, config, district = linked
    conn = store.open_store(config.database_path)
    epoch = outbox.current_epoch(conn)
    conn.close()
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: any(s.get("online") for _, s, _ in district.status), 15)
    finally:
        sync.stop()
    birth = next(s for _, s, _ in district.status if s.get("online"))
    assert (birth["epoch"], birth["epoch_first_seq"]) == (epoch.epoch, 1)
    telemetry = district.telemetry[0][1]
    assert telemetry["outbox"]["epoch"] == epoch.epoch
    assert json.loads(json.dumps(birth)) == birth
