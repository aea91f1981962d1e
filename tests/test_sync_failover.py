"""`mqtt.hosts`: a station fails over to the next broker when one dies, and back again.

Two real mosquitto processes stand for two nodes. Each has a district
stand-in (tests/mosquitto.District) that stores and acknowledges what
reaches it. Unlike a cluster, the two brokers share no sessions, so what
the station proves here is its own part: when its broker is killed it
connects to the next one in `mqtt.hosts`, says who it is there (a birth
with the next session number), subscribes, and sends everything not
acknowledged; when that one dies too it goes round to the first again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_until
from mosquitto import Broker, District, SyncThread, station_config
from test_sync_drain import append_events, depth

from kiosk import config as cfg


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
