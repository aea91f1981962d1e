"""`mqtt.hosts`: a station fails over to the next broker when one dies, and back again; a refused
subscription is asked for again.

Two real mosquitto processes stand for two nodes. Each has a district
stand-in (tests/mosquitto.District) that stores and acknowledges what
reaches it. Unlike a cluster, the two brokers share no sessions, so what
the station proves here is its own part: when its broker is killed it
connects to the next one in `mqtt.hosts`, says who it is there (a birth
with the next session number), subscribes, and sends everything not
acknowledged; when that one dies too it goes round to the first again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import nats
import pytest
from conftest import wait_until
from mosquitto import Broker, District, SyncThread, station_config
from test_sync_drain import append_events, depth

from kiosk import config as cfg

STATION = "demo-barkor-01"


@pytest.fixture
def nodes(tmp_path: Path):
    brokers = [Broker(tmp_path / f"node-{i}").start() for i in (1, 2)]
    yield brokers
    for broker in brokers:
        broker.stop()


def seqs(district: District) -> set[int]:
    with district.lock:
        return {e["seq"] for e in district.events.values()}


def sessions(district: District) -> list[int]:
    with district.lock:
        return [p["session"] for _, p, retained in district.status if p.get("online") and not retained]


def test_a_station_fails_over_to_the_next_broker_and_round_again(tmp_path: Path, nodes: list[Broker]):
    one, two = nodes
    hosts = [f"{b.host}:{b.port}" for b in nodes]
    path = station_config(tmp_path / "station", one, hosts=hosts)
    assert cfg.load(path).mqtt.brokers == ((one.host, one.port), (two.host, two.port))
    db = cfg.load(path).database_path
    first, second = District(one, client_id="district-1"), District(two, client_id="district-2")
    sync = SyncThread(path)
    try:
        append_events(db, 3)
        assert wait_until(lambda: first.upto("demo-barkor-01") == 3 and depth(db) == 0, 20), seqs(first)
        one.kill()                                  # node 1 dies: the station goes to node 2
        append_events(db, 3)
        assert wait_until(lambda: seqs(second) >= {4, 5, 6}, 40), seqs(second)
        assert sessions(second) == [2]              # its second connection, on node 2
        assert 1 not in seqs(second)                # what node 1's district acknowledged is not sent again

        one.start()                                 # node 1 back on its port, node 2 dies: round to node 1
        assert wait_until(lambda: first.client.is_connected(), 20)
        two.kill()
        append_events(db, 3)
        assert wait_until(lambda: first.upto("demo-barkor-01") == 9, 40), seqs(first)
        assert sessions(first) == [1, 3]
        sync.stop()                                 # the goodbye goes to the node it is on
        assert wait_until(lambda: any(p == {"online": False, "session": 3, "ts": p.get("ts")}
                                      for _, p, _ in first.status), 10), first.status
    finally:
        sync.stop()
        first.close()
        second.close()


@pytest.mark.skipif(not nats.available(), reason="nats-server is not installed (make test-deps)")
def test_a_refused_subscription_is_asked_again_until_the_broker_takes_it(tmp_path: Path, caplog):
    """NATS makes each QoS 1 subscription a JetStream consumer; past the account's limit (or while a
    cluster cannot set one up) it refuses the subscription. The station asks again with back-off, on the
    same connection, and the acknowledgements then arrive: the outbox empties."""
    caplog.set_level(logging.INFO)
    users = {"district": "district-pw", STATION: "station-pw"}
    server = nats.NatsServer(tmp_path / "nats", users, consumers=2).start()
    district = nats.District311(server, "district", users["district"])      # consumer 1 of 2
    holder = nats.subscriber(server, "district", users["district"], "vstation/v1/+/telemetry")   # and 2
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "mqtt.secret").write_text(users[STATION] + "\n")
    path = station_config(folder, server, protocol="3.1.1", username=STATION,
                          password_file=str(folder / "mqtt.secret"))
    db = cfg.load(path).database_path
    append_events(db, 5)
    sync = SyncThread(path, ack_timeout_s=0.5, resubscribe_s=0.5)
    try:
        assert wait_until(lambda: district.upto(STATION) == 5, 20), server.log()[-2000:]
        assert wait_until(lambda: "subscribing again in 0.5 s" in caplog.text, 10)
        assert depth(db) == 5                           # stored at the district, the acks never heard
        holder.disconnect()                             # its consumer goes: one is free for the station
        holder.loop_stop()
        assert wait_until(lambda: depth(db) == 0, 40), caplog.text[-3000:]
    finally:
        sync.stop()
        district.close()
        server.stop()
    assert caplog.text.count("connected, session") == 1      # all on one connection
