"""A light station twin speaks the district contract as the real station does.

One twin (tests/twins/, as bench/district_fleet.py runs ten thousand of them)
and one real `vstation sync` on its own database, against the same
mosquitto and the same district hub. A recorder beside the hub keeps every
message either station publishes; the test holds the two streams to the
same topics and the same payload shapes, each payload valid under the
contract's schemas (every event's `data` under its `Data.<type>`), and
checks that the hub stored and answered both alike: births, telemetry,
events acknowledged, a document applied, commands answered, goodbyes.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from conftest import wait_until
from hub import Rig
from mosquitto import SyncThread, station_config
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from twins import activity
from twins.fleet import Fleet
from twins.station import StationTwin

from district import commands, documents
from district.db.engine import reading, writing
from district.db.schema import commands as command_rows
from district.db.schema import deliveries, events, health, stations
from kiosk import config as cfg
from kiosk.base import outbox, store
from kiosk.base.clock import utc_now
from sync import schemas

REAL, TWIN = "demo-barkor-01", "twin-barkor-01"
NOTICE = {"id": "water", "title": {"zh": "停水通知"}, "body": {"zh": "周三停水"},
          "valid_from": "2026-11-22T00:00:00+08:00", "valid_until": "2026-11-26T00:00:00+08:00"}


class Recorder:
    """Every message stations publish, as the broker hands it to a subscriber beside the hub."""

    def __init__(self, rig: Rig) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str, bytes]] = []          # (station, leaf, payload)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="recorder", protocol=mqtt.MQTTv5)
        self.client.username_pw_set("district", (rig.folder / "hub-mqtt.secret").read_text().strip())
        ready = threading.Event()
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe([(f"vstation/v1/+/{leaf}", 1) for leaf in
                                                            ("status", "telemetry", "events", "cmd/+/result")])
        self.client.connect(rig.broker.host, rig.broker.port)
        self.client.loop_start()
        assert ready.wait(10)

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        _, _, station, leaf = msg.topic.split("/", 3)
        with self.lock:
            self.messages.append((station, "cmd/{id}/result" if leaf.startswith("cmd/") else leaf, msg.payload))

    def of(self, station: str) -> list[tuple[str, bytes]]:
        with self.lock:
            return [(leaf, payload) for s, leaf, payload in self.messages if s == station]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class OutboxWriter:
    """The real station's outbox behind the twins' activity (activity.ticket writes through `append`)."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def append(self, type_: str, data: dict) -> None:
        with store.transaction(self.conn):
            outbox.append(self.conn, type_, data)


def shape(value: Any) -> Any:
    """A payload's shape: its keys all the way down, and the JSON type of each leaf."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item), sort_keys=True) for item in value})
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def keys(value: Any) -> Any:
    """The keys of a payload all the way down (a locker slot's name too)."""
    return {key: keys(item) for key, item in value.items()} if isinstance(value, dict) else "*"


def checked(leaf: str, payload: bytes) -> Any:
    """The payload decoded and validated by the contract's schema for its topic."""
    schema = {"status": schemas.STATUS, "telemetry": schemas.TELEMETRY, "events": schemas.EVENTS,
              "cmd/{id}/result": schemas.COMMAND_RESULT}[leaf]
    value = schemas.parse(schema, payload, limit=schemas.MAX_DOCUMENT_BYTES)
    for event in value.get("events", []) if leaf == "events" else []:
        assert schemas.errors(schemas.SCHEMAS[f"Data.{event['type']}"], event["data"]) == [], event
    return value


@pytest.fixture
def rig(tmp_path):
    rig = Rig(tmp_path / "district")
    for station in (REAL, TWIN):
        rig.add_station(station)
    yield rig
    rig.close()


def _real_station(rig: Rig, folder) -> tuple[SyncThread, Any]:
    kit = rig.settings.registry.folder / REAL
    path = station_config(folder, rig.broker, username=REAL, password_file=str(kit / "mqtt.secret"),
                          command_key_file=str(kit / "command.key"))
    conn = store.open_store(cfg.load(path).database_path)
    return SyncThread(path), conn


def _stored(rig: Rig, station: str) -> int:
    with reading(rig.engine) as conn:
        return conn.execute(select(func.count()).select_from(events).where(events.c.station_id == station)).scalar()


def test_a_twin_and_a_real_station_send_the_hub_the_same_messages(rig, tmp_path):
    recorder = Recorder(rig)
    rig.start_hub()
    with writing(rig.engine) as conn:
        documents.publish(conn, "notices", [NOTICE], target=documents.ALL, by="test", now=utc_now())
    sync, conn = _real_station(rig, tmp_path / "station")
    fleet = Fleet()
    twin = fleet.add(StationTwin(TWIN, rig.secret(TWIN, "mqtt.secret"), hosts=[(rig.broker.host, rig.broker.port)],
                                 command_key=rig.secret(TWIN, "command.key").encode(), telemetry_s=5))
    fleet.start()
    try:
        fleet.call(lambda f: twin.connect())
        activity.ticket(OutboxWriter(conn), 1)
        fleet.call(lambda f: activity.ticket(twin.backlog, 1) and twin.wake())
        # both: birth, the notices document applied (config.applied), three ticket events
        for station in (REAL, TWIN):
            assert wait_until(lambda: _stored(rig, station) == 4, 20), f"{station}: {_stored(rig, station)} stored"
        with writing(rig.engine) as db:
            for station in (REAL, TWIN):
                for name in ("config.resend", "events.replay"):
                    commands.create(db, station, name, {"from_seq": 1} if name == "events.replay" else {},
                                    by="test", now=utc_now())
        rig.hub.outbound.wake()
        for station in (REAL, TWIN):
            assert wait_until(lambda: _stored(rig, station) == 7, 20), f"{station}: {_stored(rig, station)} stored"
            assert wait_until(lambda: {leaf for leaf, _ in recorder.of(station)} >= {"status", "telemetry", "events",
                                                                                   "cmd/{id}/result"}, 20)
    finally:
        fleet.call(lambda f: twin.goodbye())
        sync.stop()
        assert wait_until(lambda: all(sum(1 for leaf, p in recorder.of(s) if leaf == "status"
                                          and not json.loads(p)["online"]) for s in (REAL, TWIN)), 10)
        fleet.stop()
        conn.close()
        recorder.close()
    _same_messages(recorder)
    _same_at_the_hub(rig)


def _same_messages(recorder: Recorder) -> None:
    """Topics, payload shapes, event types, document outcome and command results alike."""
    seen = {}
    for station in (REAL, TWIN):
        messages = [(leaf, checked(leaf, payload)) for leaf, payload in recorder.of(station)]
        packed = [e for leaf, value in messages if leaf == "events" for e in value["events"]]
        seen[station] = {
            "topics": {leaf for leaf, _ in messages},
            "status": sorted({json.dumps(shape(v), sort_keys=True) for leaf, v in messages if leaf == "status"}),
            "types": sorted({e["type"] for e in packed}),
            "events": sorted({json.dumps(shape(e), sort_keys=True) for e in packed}),
            "applied": sorted({(e["data"]["doc"], e["data"]["version"], json.dumps(e["data"]["summary"]))
                               for e in packed if e["type"] == "config.applied" and "resent" not in e["data"]["summary"]}),
            "results": sorted({(v["name"], v["status"]) for leaf, v in messages if leaf == "cmd/{id}/result"}),
            # keys all the way down: values may be null on one side (a test machine has no CPU temperature)
            "telemetry": sorted({json.dumps(keys(v), sort_keys=True) for leaf, v in messages if leaf == "telemetry"}),
        }
    assert seen[REAL] == seen[TWIN]
    assert seen[TWIN]["applied"] == [("notices", 1, '{"notices": 1}')]
    assert seen[TWIN]["results"] == [("config.resend", "done"), ("events.replay", "done")]
    assert {"ticket.issued", "ticket.called", "ticket.done", "config.applied", "command.result"} == set(
        seen[TWIN]["types"])


def _same_at_the_hub(rig: Rig) -> None:
    """Both stations online and gone again, their telemetry kept, the document applied, the commands done."""
    with reading(rig.engine) as conn:
        rows = {r.id: r for r in conn.execute(select(stations))}
        healthy = {r.station_id for r in conn.execute(select(health))}
        applied = {r.station_id: r.applied_version for r in conn.execute(select(deliveries))}
        results = {(r.station_id, r.name, r.status) for r in conn.execute(select(command_rows))}
    for station in (REAL, TWIN):
        assert rows[station].online is False and rows[station].session == 1 and rows[station].epoch
        assert _stored(rig, station) == 7
        assert results >= {(station, "config.resend", "done"), (station, "events.replay", "done")}
    assert healthy == {REAL, TWIN} and applied == {REAL: 1, TWIN: 1}
