"""Outbox drain to a real mosquitto: what the district receives, and what the station forgets."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from conftest import wait_until
from mosquitto import Broker, District, SyncThread, station_config
from paho.mqtt.enums import CallbackAPIVersion

from kiosk import config as cfg
from kiosk.base import outbox, store
from sync import schemas
from sync.drain import Drain, OutboxBacklog, Tuning, build_pack

STATION = "demo-barkor-01"


def append_events(db: Path, count: int, *, size: int = 0) -> None:
    """`count` business events written straight into the outbox, as the kiosk would."""
    conn = store.open_store(db)
    with store.transaction(conn):
        for i in range(count):
            outbox.append(conn, "ticket.issued", {"ticket_id": f"T{i}", "pad": "x" * size})
    conn.close()


def depth(db: Path) -> int:
    conn = store.open_store(db)
    try:
        return outbox.depth(conn)
    finally:
        conn.close()


def first_arrivals(district: District) -> list[int]:
    with district.lock:
        return [e["seq"] for e in district.events.values()]


def test_events_arrive_once_in_seq_order_and_are_forgotten_only_on_ack(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker)
    db = cfg.load(path).database_path
    append_events(db, 250)
    sync = SyncThread(path)
    try:
        assert wait_until(lambda: district.upto(STATION) == 250, 15)
        assert wait_until(lambda: depth(db) == 0, 10)
        append_events(db, 7)                                    # the kiosk keeps writing
        assert wait_until(lambda: district.upto(STATION) == 257, 10)
    finally:
        sync.stop()
        district.close()
    assert first_arrivals(district) == list(range(1, 258))
    assert [len(p["events"]) for p in district.packs[:3]] == [100, 100, 50]
    assert all(schemas.errors(schemas.EVENTS, p) == [] for p in district.packs)
    assert district.mismatches == []


def test_without_acks_nothing_is_forgotten_and_the_window_holds(tmp_path: Path, broker: Broker):
    district = District(broker)
    district.acking = False
    path = station_config(tmp_path / "station", broker)
    db = cfg.load(path).database_path
    append_events(db, 500)
    sync = SyncThread(path, pack_events=10, window_packs=3)
    try:
        assert wait_until(lambda: len(district.events) == 30, 10)
        assert not wait_until(lambda: len(district.events) > 30, 0.5)   # window full: waits for the district
        assert depth(db) == 500
        district.ack(STATION)
        assert wait_until(lambda: depth(db) <= 470, 10)
        district.acking = True
        district.ack(STATION)
        assert wait_until(lambda: district.upto(STATION) == 500 and depth(db) == 0, 15)
    finally:
        sync.stop()
        district.close()
    assert first_arrivals(district) == list(range(1, 501))


def test_a_station_offline_for_10000_events_drains_them_in_order(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO)
    broker = Broker(tmp_path / "broker")                       # configured, not running yet
    path = station_config(tmp_path / "station", broker)
    db = cfg.load(path).database_path
    sync = SyncThread(path)
    try:
        append_events(db, 10_000)
        assert wait_until(lambda: "connection refused" in caplog.text, 10)   # broker down: keeps buffering
        assert depth(db) == 10_000
        broker.start()
        district = District(broker)
        assert wait_until(lambda: district.upto(STATION) == 10_000, 40)
        assert wait_until(lambda: depth(db) == 0, 10)
    finally:
        sync.stop()
        broker.stop()
    district.close()
    assert first_arrivals(district) == list(range(1, 10_001))
    assert district.mismatches == []


def test_broker_killed_mid_drain_again_and_again_loses_nothing(tmp_path: Path, broker: Broker):
    district = District(broker)
    path = station_config(tmp_path / "station", broker)
    db = cfg.load(path).database_path
    total = 6000
    append_events(db, total)
    sync = SyncThread(path, pack_events=20, window_packs=4, ack_timeout_s=2.0)
    try:
        for threshold in (500, 2000, 3500):
            assert wait_until(lambda: len(district.events) >= threshold, 30)
            district.acking = threshold != 2000         # once, kill while the district has not acked
            broker.kill()
            broker.start()
            district.acking = True
        assert wait_until(lambda: district.upto(STATION) == total, 40)
        assert wait_until(lambda: depth(db) == 0, 10)
    finally:
        sync.stop()
        district.close()
    assert sorted(first_arrivals(district)) == list(range(1, total + 1))   # contiguous after de-duplication
    assert district.mismatches == []                                        # re-sends are the same events
    assert len(district.arrivals) >= total


def test_malformed_and_oversized_acks_are_ignored_with_a_log_line(tmp_path: Path, broker: Broker, caplog):
    caplog.set_level(logging.WARNING)
    district = District(broker)
    district.acking = False
    path = station_config(tmp_path / "station", broker)
    db = cfg.load(path).database_path
    append_events(db, 20)
    sync = SyncThread(path)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="prankster", protocol=mqtt.MQTTv5)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    try:
        assert wait_until(lambda: len(district.events) == 20, 10)
        bad = [b"not json", b'{"upto_seq": -1}', b'{"upto_seq": "20"}', b'{"upto_seq": true}', b"[20]",
               b'{"seq": 20}', b'{"upto_seq": 1.5}', b"\xff\xfe",
               json.dumps({"upto_seq": 20, "x": "y" * 70_000}).encode(),
               b"[" * 3000 + b"]" * 3000, b'{"upto_seq": 20, "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
               b'{"upto_seq": 9223372036854775808}', b'{"upto_seq": 20, "epoch": 99999999999999999999}']
        for payload in bad:
            pub.publish(f"vstation/v1/{STATION}/events/ack", payload, qos=1).wait_for_publish(5)
        assert wait_until(lambda: caplog.text.count("ignored events/ack") == len(bad), 10)
        assert depth(db) == 20
        assert "more than the 65536 allowed" in caplog.text and "expected integer, found string" in caplog.text
        assert "nested deeper than 32 levels" in caplog.text and "expected at most 9223372036854775807" in caplog.text
        assert "Traceback" not in caplog.text and "failed" not in caplog.text
        pub.publish(f"vstation/v1/{STATION}/events/ack", b'{"upto_seq": 12}', qos=1).wait_for_publish(5)
        assert wait_until(lambda: depth(db) == 8, 10)
    finally:
        pub.disconnect()
        pub.loop_stop()
        sync.stop()
        district.close()


# -- the drain's rules on a real outbox, without a broker ------------------------
@pytest.fixture
def outbox_db(tmp_path: Path) -> sqlite3.Connection:
    conn = store.open_store(tmp_path / "station.db")
    yield conn
    conn.close()


def test_a_pack_holds_at_most_100_events_and_256_kb_and_never_skips(outbox_db, tmp_path: Path):
    append_events(tmp_path / "station.db", 150, size=10_000)
    pack = build_pack(OutboxBacklog(outbox_db), 0, max_events=100, max_bytes=256 * 1024, ts="2026-11-22T00:00:00.000+00:00")
    assert len(pack.payload) <= 256 * 1024 and (pack.first, pack.count) == (1, pack.last)
    assert pack.count == 25
    following = build_pack(OutboxBacklog(outbox_db), pack.last, max_events=100, max_bytes=256 * 1024, ts="t")
    assert following.first == pack.last + 1


def test_a_refused_pack_goes_again_from_its_first_event(outbox_db, tmp_path: Path):
    append_events(tmp_path / "station.db", 30)
    sent: list[tuple[int, int]] = []
    now = [0.0]

    def publish(payload: bytes) -> tuple[int, int]:
        events = json.loads(payload)["events"]
        sent.append((events[0]["seq"], events[-1]["seq"]))
        return len(sent), 0

    drain = Drain(outbox_db, publish, Tuning(pack_events=10, retry_min_s=5), clock=lambda: now[0])
    drain.pump()
    assert sent == [(1, 10), (11, 20), (21, 30)]
    drain.published(1, 0, "Success")
    drain.published(2, 135, "Not authorized")
    assert drain.last_error == "broker refused events: Not authorized (135)"
    assert drain.pump() == 0                                   # pausing before the retry
    now[0] = 6.0
    drain.pump()
    assert sent[3:] == [(11, 20), (21, 30)]
    drain.published(4, 16, "No matching subscribers")          # 16 is a success
    assert drain.last_error is None
    assert drain.acknowledged(10**12) and outbox.depth(outbox_db) == 0     # clamped to what was sent


def test_replay_resends_from_a_seq_but_never_before_the_ack(outbox_db, tmp_path: Path):
    append_events(tmp_path / "station.db", 30)
    sent: list[int] = []

    def publish(payload: bytes) -> tuple[int, int]:
        sent.append(json.loads(payload)["events"][0]["seq"])
        return len(sent), 0

    drain = Drain(outbox_db, publish, Tuning(pack_events=10))
    drain.pump()
    drain.acknowledged(10)
    assert drain.replay_from(15) == 15
    drain.pump()
    assert sent == [1, 11, 21, 15, 25]
    assert drain.replay_from(3) == 11                          # 1-10 are forgotten: they cannot go again


def test_last_seq_is_the_last_seq_written_even_when_the_outbox_is_empty(outbox_db, config, tmp_path: Path):
    from sync import telemetry

    append_events(tmp_path / "station.db", 20)
    drain = Drain(outbox_db, lambda payload: (1, 0), Tuning(pack_events=100))
    drain.pump()
    drain.acknowledged(20)
    drain.forget(now=True)
    assert outbox.depth(outbox_db) == 0
    assert drain.last_seq() == 20                              # the docs' 1520/1520: acked = last, nothing waits
    report = telemetry.collect(outbox_db, config, started=0.0, sync={}, last_seq=drain.last_seq())["outbox"]
    assert (report["depth"], report["acked_seq"], report["last_seq"]) == (0, 20, 20)


def test_a_refused_pack_goes_again_at_once_after_a_reconnect(outbox_db, tmp_path: Path):
    append_events(tmp_path / "station.db", 30)
    sent: list[int] = []

    def publish(payload: bytes) -> tuple[int, int]:
        sent.append(json.loads(payload)["events"][0]["seq"])
        return len(sent), 0

    drain = Drain(outbox_db, publish, Tuning(pack_events=10, retry_min_s=20), clock=lambda: 100.0)
    drain.pump()
    drain.published(1, 135, "Not authorized")                  # the ACL refused: pausing 20 s …
    assert drain.pump() == 0
    drain.reconnected()                                        # … until the link is healthy again
    assert drain.pump() == 30 and sent[3:] == [1, 11, 21]


def test_the_send_window_counts_messages_as_well_as_events(outbox_db, tmp_path: Path):
    """Events trickling in one by one make one small pack each: mosquitto's max_queued_messages counts those
    packs, so no more than window_packs of them may wait beyond the district's acknowledgement."""
    sent: list[tuple[int, int]] = []

    def publish(payload: bytes) -> tuple[int, int]:
        events = json.loads(payload)["events"]
        sent.append((events[0]["seq"], events[-1]["seq"]))
        return len(sent), 0

    drain = Drain(outbox_db, publish, Tuning(pack_events=100, window_packs=4))
    for _ in range(50):
        append_events(tmp_path / "station.db", 1)
        drain.pump()
        for mid in list(drain.inflight):
            drain.published(mid, 0, "Success")                 # the broker took it: only the ack is missing
    assert sent == [(1, 1), (2, 2), (3, 3), (4, 4)]            # 4 messages, not 50
    drain.acknowledged(2)
    drain.pump()
    assert sent[4:] == [(5, 50)] and len(drain.beyond) == 3    # two freed places; the backlog goes as one pack
