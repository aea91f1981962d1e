"""The hub's ingest over a real mosquitto (the registry's password and ACL files), on SQLite and PostgreSQL.

What the district would see: each event stored once, acknowledged only after
it is stored, a gap answered by a signed events.replay the station accepts,
a restored station recognised, bad input counted and never a crash.
"""

from __future__ import annotations

import json

import pytest
from conftest import wait_until
from hub import Rig, Twin
from sqlalchemy import func, select

from district.db.engine import reading
from district.db.schema import commands, events, health, positions, rejects, stations
from kiosk.base.clock import utc_now
from sync.commands import verify

STATION = "lhasa-cg-barkor-01"


@pytest.fixture
def rig(tmp_path, db_url):
    r = Rig(tmp_path / "district", db_url)
    r.add_station(STATION, "八廓 V站")
    r.start_hub()
    yield r
    r.close()


@pytest.fixture
def twin(rig):
    t = Twin(rig.broker, STATION, rig.secret(STATION, "mqtt.secret"), epoch=1_700_000_000_000)
    yield t
    t.close()


def stored(rig, station=STATION) -> list:
    with reading(rig.engine) as conn:
        return list(conn.execute(select(events).where(events.c.station_id == station).order_by(events.c.seq)))


def reject_count(rig, kind: str) -> int:
    with reading(rig.engine) as conn:
        return conn.execute(select(func.coalesce(func.sum(rejects.c.count), 0))
                            .where(rejects.c.kind == kind)).scalar()


def test_each_event_is_stored_once_and_acknowledged_with_its_epoch(rig, twin):
    twin.birth()
    pack = [twin.event() for _ in range(5)]
    twin.send(pack)
    assert twin.wait_acked(5)
    twin.send(pack)                        # a re-send after a reconnect
    twin.send(pack[2:])
    assert wait_until(lambda: len(twin.acks) >= 3, 10)
    rows = stored(rig)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert {r.id for r in rows} == {e["id"] for e in pack}
    assert twin.acks[-1] == {"upto_seq": 5, "epoch": twin.epoch}
    with reading(rig.engine) as conn:
        station = conn.execute(select(stations).where(stations.c.id == STATION)).one()
    assert station.online and station.version == "0.1.0" and station.epoch == twin.epoch


def test_a_gap_asks_for_a_replay_signed_for_the_station_and_the_ack_waits(rig, twin):
    twin.birth()
    first, second, third, fourth = (twin.event() for _ in range(4))
    twin.send([first])
    assert twin.wait_acked(1)
    twin.send([third, fourth])             # seq 2 lost on the way
    assert wait_until(lambda: twin.commands, 10), "no replay was asked for"
    topic, payload = twin.commands[0]
    command, _nonce = verify(payload, key=rig.secret(STATION, "command.key").encode(), station=STATION,
                             topic_id=topic.rsplit("/", 1)[1])
    assert (command.name, command.args) == ("events.replay", {"from_seq": 2, "epoch": twin.epoch})
    assert twin.acked() == 1               # nothing beyond the hole is acknowledged
    twin.send([second, third, fourth])     # the station replays from 2
    assert twin.wait_acked(4)
    assert [r.seq for r in stored(rig)] == [1, 2, 3, 4]

    def replay_status():
        with reading(rig.engine) as conn:
            return conn.execute(select(commands.c.status).where(commands.c.name == "events.replay")).scalar()
    assert wait_until(lambda: replay_status() == "sent", 10)         # marked once the broker took it


def test_a_restored_station_starts_a_new_epoch_that_is_flagged_and_old_events_stay(rig, twin):
    twin.birth()
    twin.send([twin.event() for _ in range(3)])
    assert twin.wait_acked(3)
    old_epoch = twin.epoch
    twin.epoch, twin.first_seq, twin.seq = old_epoch + 5000, 3, 2   # restored from a backup that held seq ≤ 2
    twin.birth(session=2)
    twin.send([twin.event(), twin.event()])                          # seq 3 and 4 of the new epoch
    assert twin.wait_acked(4, epoch=twin.epoch)
    with reading(rig.engine) as conn:
        station = conn.execute(select(stations).where(stations.c.id == STATION)).one()
        kept = conn.execute(select(events.c.epoch, events.c.seq).order_by(events.c.epoch, events.c.seq)).all()
        where = {p.epoch: p.upto_seq for p in conn.execute(select(positions))}
    assert (station.epoch, station.previous_epoch) == (old_epoch + 5000, old_epoch)
    assert station.restored_at is not None
    assert kept == [(old_epoch, 1), (old_epoch, 2), (old_epoch, 3), (old_epoch + 5000, 3), (old_epoch + 5000, 4)]
    assert where == {old_epoch: 3, old_epoch + 5000: 4}


def test_bad_input_is_counted_and_never_stops_ingest(rig, twin):
    twin.birth()
    twin.publish("events", b"\xff not json")
    twin.publish("events", json.dumps({"events": [{"seq": 1}], "ts": "x"}).encode())
    twin.publish("events", b"{" + b" " * (600 * 1024) + b"}")
    twin.publish("telemetry", b'{"ts": 1}')
    reused = twin.event(seq=1)
    good = twin.event()
    twin.send([good])
    assert twin.wait_acked(1)
    twin.send([reused])                    # another event claiming seq 1
    assert wait_until(lambda: reject_count(rig, "seq_reused") == 1, 10)
    assert reject_count(rig, "malformed") == 3
    assert reject_count(rig, "oversized") == 1
    assert [r.id for r in stored(rig)] == [good["id"]]


def test_unknown_and_removed_stations_are_refused_and_counted(rig, twin, tmp_path):
    from district.registry import credentials

    rig.add_station("other-02")
    other = Twin(rig.broker, "other-02", rig.secret("other-02", "mqtt.secret"))
    credentials.remove(rig.engine, rig.settings, "other-02")     # removed in the registry; broker not reloaded yet
    other.send([other.event()])
    assert wait_until(lambda: reject_count(rig, "unknown_station") == 1, 10)
    other.close()
    assert stored(rig, "other-02") == []
    # the broker's ACL keeps a station inside its own topics: its packs on another's topic never arrive
    twin.client.publish("vstation/v1/other-02/events", json.dumps({"events": [twin.event()], "ts": "x"}),
                        qos=1).wait_for_publish(10)
    twin.send([twin.event()])
    assert twin.wait_acked(2)
    assert stored(rig, "other-02") == [] and reject_count(rig, "unknown_station") == 1


def test_a_wrong_station_clock_is_kept_beside_the_hubs_own_time(rig, twin):
    twin.birth()
    twin.send([twin.event(ts="2019-01-01T00:00:00.000+00:00")])
    assert twin.wait_acked(1)
    telemetry = {"ts": "2030-01-01T00:00:00.000+00:00", "uptime_s": 5.0,
                 "host": {"uptime_s": 1.0, "cpu_temp_c": None, "load": [0.1, 0.1, 0.1], "mem_total_kb": 1,
                          "mem_available_kb": 1, "disk_free_bytes": 1},
                 "printer": "paper_out", "reader": "ok", "lockers": {"U1": "fault"}, "tickets_waiting": 2,
                 "outbox": {"depth": 0, "oldest_age_s": None, "acked_seq": 1, "last_seq": 1},
                 "sync": {"session": 1, "sent_seq": 1, "delivered_seq": 1, "inflight_packs": 0, "last_error": None}}
    twin.publish("telemetry", json.dumps(telemetry).encode())
    assert wait_until(lambda: _health(rig) is not None, 10)
    row, event = _health(rig), stored(rig)[0]
    assert event.ts == "2019-01-01T00:00:00.000+00:00" and event.received_at.year >= 2026
    assert row.clock_skew_s > 86400 and row.printer == "paper_out" and row.locker_faults == 1


def _health(rig):
    with reading(rig.engine) as conn:
        return conn.execute(select(health).where(health.c.station_id == STATION)).first()


def test_a_hole_the_station_can_no_longer_fill_is_counted_as_lost_and_ingest_goes_on(rig, twin):
    twin.birth()
    events = [twin.event() for _ in range(5)]
    twin.send(events[3:])                  # seq 4, 5: 1-3 were acknowledged to someone else and forgotten
    assert wait_until(lambda: twin.commands, 10)
    topic, payload = twin.commands[0]
    command_id = topic.rsplit("/", 1)[1]
    result = {"id": command_id, "name": "events.replay", "status": "done", "reason": None,
              "result": {"from_seq": 4, "acked_seq": 3, "last_seq": 5}, "ts": "2026-12-01T00:00:00.000+00:00"}
    twin.publish(f"cmd/{command_id}/result", json.dumps(result).encode())
    twin.send(events[3:])                  # the replay
    assert twin.wait_acked(5)
    assert reject_count(rig, "lost") == 1
    with reading(rig.engine) as conn:
        detail = conn.execute(select(rejects.c.last_detail).where(rejects.c.kind == "lost")).scalar()
        status = conn.execute(select(commands.c.status).where(commands.c.id == command_id)).scalar()
    assert "seq 1-3" in detail and status == "done"


def test_a_document_for_all_reaches_a_station_at_its_birth_retained_and_its_outcome_is_kept(rig, twin):
    from district import documents
    from district.db.engine import writing
    from district.db.schema import deliveries

    notice = {"id": "water", "title": {"zh": "停水通知"}, "body": {"zh": "周三停水"},
              "valid_from": "2026-11-22T00:00:00+08:00", "valid_until": "2026-11-26T00:00:00+08:00"}
    with writing(rig.engine) as conn:
        documents.publish(conn, "notices", [notice], target=documents.ALL, by="test", now=utc_now())
    twin.birth()                           # the hub publishes what this station's topic lacks
    assert wait_until(lambda: "notices" in twin.documents, 10)
    assert twin.documents["notices"]["version"] == 1 and twin.documents["notices"]["notices"] == [notice]
    twin.send([twin.event("config.applied", {"doc": "notices", "version": 1, "summary": {"notices": 1}})])
    assert twin.wait_acked(1)

    def delivery():
        with reading(rig.engine) as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.station_id == STATION)).one()
        return row.kind, row.published_version, row.applied_version
    # the hub marks it published at the broker's PUBACK, which may come after the station's answer
    assert wait_until(lambda: delivery() == ("notices", 1, 1), 10), delivery()


def test_a_retained_goodbye_the_hub_already_knows_changes_nothing_and_ingest_goes_on(rig, twin):
    twin.birth()
    twin.publish("status", b'{"online":false}', retain=True)     # the station went away, its goodbye retained

    def online() -> bool:
        with reading(rig.engine) as conn:
            return conn.execute(select(stations.c.online).where(stations.c.id == STATION)).scalar()
    assert wait_until(lambda: online() is False, 10)
    rig.stop_hub()
    rig.start_hub()                        # it subscribes again: the broker hands it the same goodbye
    twin.birth(session=2)
    twin.send([twin.event()])
    assert twin.wait_acked(1), "ingest stopped at a retained status that changed nothing"
    assert online() is True


def test_the_last_will_of_an_older_connection_taken_after_the_next_birth_leaves_the_station_online(rig, twin):
    """Two hub workers: the will of a dropped connection (session 1) can be applied after the birth of the
    next one (session 2); the will names its session, so the hub knows it is old news."""
    def online() -> bool:
        with reading(rig.engine) as conn:
            return conn.execute(select(stations.c.online).where(stations.c.id == STATION)).scalar()
    twin.birth(session=2)
    twin.publish("status", b'{"online":false,"session":1}', retain=True)    # session 1's will, late
    twin.send([twin.event()])
    assert twin.wait_acked(1)                                             # the hub has taken both before it
    assert online() is True
    twin.publish("status", b'{"online":false,"session":2}', retain=True)    # session 2 vanishes: its will
    assert wait_until(lambda: online() is False, 10)
