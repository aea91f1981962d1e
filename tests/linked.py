"""Test helpers of the downstream direction: a station linked to a real mosquitto, and the district's pen.

`Linked` runs the two processes' parts of one station in the test process:
the kiosk's core (`Station`, with the `Commander` thread of its inbox) and the sync agent
(`SyncThread`), on one database. `Pen` is the district stand-in's writing
hand: it publishes retained documents and signed commands and collects
what comes back on `cmd/{id}/result`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as mqtt
from mosquitto import Broker, District, SyncThread, station_config
from paho.mqtt.enums import CallbackAPIVersion

from kiosk import config as cfg
from kiosk import demo, hardware
from kiosk.base import outbox, store
from kiosk.base.bus import Bus
from kiosk.district.commands import Commander
from kiosk.station import Station
from sync import signing

STATION = "demo-barkor-01"
KEY = b"0123456789abcdef0123456789abcdef"


class Pen:
    """Publishes for the district and keeps every command result by command id."""

    def __init__(self, broker: Broker) -> None:
        self.results: dict[str, list[dict]] = {}
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="district-pen", protocol=mqtt.MQTTv5)
        ready = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_: self.connected.clear()
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 2)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert ready.wait(10)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        """Subscribe on every connection: the pen's session ends with it, as a restarted broker's would."""
        self.client.subscribe("vstation/v1/+/cmd/+/result", qos=1)
        self.connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.results.setdefault(msg.topic.split("/")[4], []).append(json.loads(msg.payload))

    def document(self, kind: str, payload: bytes | dict) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self._publish(f"vstation/v1/{STATION}/{kind}", data, retain=True)

    def command(self, name: str, args: dict | None = None, *, key: bytes = KEY, **fields: Any) -> str:
        """Sign and publish a command; its id."""
        cmd = {**signing.command(STATION, name, args), **fields}
        self.raw(cmd["id"], signing.envelope(key, cmd))
        return cmd["id"]

    def raw(self, command_id: str, payload: bytes) -> None:
        self._publish(signing.topic(STATION, command_id), payload)

    def _publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish at QoS 1 once the pen is connected (after a broker restart it reconnects on its own)."""
        assert self.connected.wait(20), "the district pen did not reconnect to the broker"
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def result(self, command_id: str) -> dict | None:
        with self.lock:
            found = self.results.get(command_id)
            return found[0] if found else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Linked:
    """One station's kiosk core and sync agent on one database, linked to `broker`; district stand-ins."""

    def __init__(self, folder: Path, broker: Broker, *, key: bytes | None = KEY,
                 edit: Callable[[str], str] | None = None) -> None:
        """`edit` rewrites the station.toml text before it is loaded (e.g. a pty card reader)."""
        mqtt_keys: dict[str, object] = {}
        if key is not None:
            (folder / "command.key").parent.mkdir(parents=True, exist_ok=True)
            (folder / "command.key").write_bytes(key + b"\n")
            mqtt_keys["command_key_file"] = str(folder / "command.key")
        self.path = station_config(folder, broker, **mqtt_keys)
        if edit is not None:
            self.path.write_text(edit(self.path.read_text(encoding="utf-8")), encoding="utf-8")
        self.config = cfg.load(self.path)
        conn = store.open_store(self.config.database_path)
        demo.seed(conn)
        outbox.forget(conn, 10**9)
        conn.close()
        hw = hardware.build(self.config)
        self.station = Station(self.config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus(),
                               voice=None)
        self.station.start()
        self.commander = Commander(self.station).start()
        self.district = District(broker)
        self.pen = Pen(broker)
        self.sync = SyncThread(self.path)
        # telemetry leaves after the subscriptions on the same connection: once it is here, commands reach sync
        pause = threading.Event()
        for _ in range(1500):
            if self.district.telemetry:
                break
            pause.wait(0.01)
        assert self.district.telemetry, "the station never linked"

    def db(self) -> sqlite3.Connection:
        return self.station.db()

    def events(self, type_: str) -> list[dict]:
        """Events of this type as the district received them, in seq order."""
        with self.district.lock:
            return sorted((e for e in self.district.events.values() if e["type"] == type_), key=lambda e: e["seq"])

    def close(self) -> None:
        self.sync.stop()
        self.pen.close()
        self.district.close()
        self.commander.stop()
        self.station.stop()


STATION_TABLES = ("members", "balance_snapshots", "ledger", "goods", "stock_moves", "documents", "inbox",
                  "command_nonces", "tickets", "visits")


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of the station's own data (the outbox apart): to show that nothing changed."""
    return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()] for t in STATION_TABLES}
