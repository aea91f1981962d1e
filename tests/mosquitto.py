"""A real mosquitto for the tests: its own loopback port, config and persistence folder.

The broker can be SIGKILLed and started again on the same port with the same
persistence folder, as a district broker that crashes would be. Nothing of
MQTT is mocked: the station and the district stand-in talk to this process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Tls:
    """Server side of a TLS listener: the CA that signed it, its certificate and key."""
    ca: Path
    cert: Path
    key: Path
    ca_key: Path
    require_client_cert: bool = False


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _signed(folder: Path, ca: Path, ca_key: Path, name: str, subject: str, ext: str) -> tuple[Path, Path]:
    """A key and a certificate for `subject`, signed by the CA."""
    cert, key, csr, extfile = (folder / f"{name}.pem", folder / f"{name}.key", folder / f"{name}.csr",
                               folder / f"{name}.ext")
    extfile.write_text(ext + "\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", str(key), "-out", str(csr))
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
             "-days", "2", "-extfile", str(extfile), "-out", str(cert))
    return cert, key


def make_tls(folder: Path, name: str = "district") -> Tls:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl command line)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / f"{name}-ca.pem", folder / f"{name}-ca.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} test CA",
             "-keyout", str(ca_key), "-out", str(ca))
    cert, key = _signed(folder, ca, ca_key, f"{name}-server", "/CN=127.0.0.1",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost")
    return Tls(ca=ca, cert=cert, key=key, ca_key=ca_key)


def client_cert(tls: Tls, folder: Path, name: str) -> tuple[Path, Path]:
    """A client certificate (and key) for `name`, signed by the same CA as the broker."""
    return _signed(folder, tls.ca, tls.ca_key, f"client-{name}", f"/CN={name}", "extendedKeyUsage=clientAuth")


class Broker:
    """One mosquitto process on 127.0.0.1:port, configured in `folder`."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, *, anonymous: bool = True, users: dict[str, str] | None = None,
                 acl: str | None = None, tls: Tls | None = None, password_file: Path | None = None,
                 acl_file: Path | None = None, extra: tuple[str, ...] = ()) -> None:
        """`password_file`/`acl_file`: files written elsewhere (the district's registry), used as they are;
        `extra`: more mosquitto.conf lines."""
        self.folder = folder
        self.password_file, self.acl_file, self.extra = password_file, acl_file, extra
        self.port = free_port()
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "mosquitto.log"
        self.conf = folder / "mosquitto.conf"
        self.proc: subprocess.Popen | None = None
        self.conf.write_text(self._config(anonymous, users, acl, tls))

    def _config(self, anonymous: bool, users: dict[str, str] | None, acl: str | None, tls: Tls | None) -> str:
        lines = [f"listener {self.port} {self.host}", f"allow_anonymous {'true' if anonymous else 'false'}",
                 "persistence true", f"persistence_location {self.data}/", "autosave_interval 1",
                 f"log_dest file {self.log_path}", "log_type error", "log_type warning", "log_type notice",
                 "log_type information", "connection_messages true"]
        if os.geteuid() == 0:
            lines.append("user root")              # keep the broker the owner of its data folder
        if users:
            pw = self.folder / "passwd"
            for i, (name, password) in enumerate(users.items()):
                subprocess.run([PASSWD, "-b", *(["-c"] if i == 0 else []), str(pw), name, password],
                               check=True, capture_output=True)
            lines.append(f"password_file {pw}")
        if acl is not None:
            (self.folder / "acl").write_text(acl)
            lines.append(f"acl_file {self.folder / 'acl'}")
        lines += list(self.extra)
        if self.password_file:
            lines.append(f"password_file {self.password_file}")
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        if tls:
            lines += [f"cafile {tls.ca}", f"certfile {tls.cert}", f"keyfile {tls.key}"]
            if tls.require_client_cert:
                lines.append("require_certificate true")
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> "Broker":
        """Start mosquitto and wait until its port accepts connections."""
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        pause = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode()} {self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                pause.wait(0.02)
        raise RuntimeError("mosquitto did not start listening")

    def reload(self) -> None:
        """SIGHUP: mosquitto reads its password and ACL files again (`systemctl reload mosquitto`)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def kill(self) -> None:
        """SIGKILL: what a crash or power cut does to the broker."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signum)
            self.proc.wait(timeout=10)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class District:
    """The district's side, as a test stand-in: subscribes to every station, de-duplicates and acks.

    `packs` keeps every events payload as it arrived (re-sends included),
    `events` the first copy of each event by id, `status`/`telemetry` every
    payload per station with its retain flag. It follows the epoch contract
    (docs/mqtt.md, "Epoch"): positions per (station, epoch), starting at the
    birth's `epoch_first_seq`; acks are `{"upto_seq": n, "epoch": e}` with n
    the highest seq of that epoch below which nothing is missing; `acking`
    pauses them. `collisions` lists any (station, epoch, seq) that came with
    two different event ids: what the epoch exists to prevent.
    """

    def __init__(self, broker: Broker, *, username: str | None = None, password: str | None = None,
                 client_id: str = "district-test", tls_ca: Path | None = None, tls_cert: Path | None = None,
                 tls_key: Path | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.lock = threading.Lock()
        self.packs: list[dict] = []
        self.events: dict[str, dict] = {}
        self.arrivals: list[dict] = []                   # every event copy, in arrival order
        self.status: list[tuple[str, dict, bool]] = []   # (station, payload, retained)
        self.telemetry: list[tuple[str, dict]] = []
        self.mismatches: list[str] = []
        self.collisions: list[tuple[str, int, int]] = []
        self.acking = True
        self.ready = threading.Event()
        self._seqs: dict[tuple[str, int], set[int]] = {}
        self._upto: dict[tuple[str, int], int] = {}
        self._ids: dict[tuple[str, int, int], str] = {}
        self._latest: dict[str, int] = {}               # the newest epoch seen per station
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        if tls_ca:
            self.client.tls_set(ca_certs=str(tls_ca), certfile=tls_cert and str(tls_cert),
                                keyfile=tls_key and str(tls_key))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.reconnect_delay_set(1, 2)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async(broker.host, broker.port, 30, clean_start=False, properties=props)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("district stand-in could not subscribe")

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        client.subscribe([("vstation/v1/+/events", 1), ("vstation/v1/+/status", 1), ("vstation/v1/+/telemetry", 0)])

    def _on_message(self, client, userdata, msg) -> None:
        import json

        station, leaf = msg.topic.split("/")[2], msg.topic.split("/", 3)[3]
        payload = json.loads(msg.payload)
        with self.lock:
            if leaf == "status":
                self.status.append((station, payload, bool(msg.retain)))
                if "epoch" in payload:                   # a birth: where its epoch's events begin
                    self._start(station, payload["epoch"], payload["epoch_first_seq"])
            elif leaf == "telemetry":
                self.telemetry.append((station, payload))
            elif leaf == "events":
                epochs = self._take_pack(station, payload)
                if self.acking:
                    for epoch in epochs:
                        self.ack(station, epoch)

    def _start(self, station: str, epoch: int, first_seq: int) -> None:
        if (station, epoch) not in self._upto:
            self._upto[station, epoch] = first_seq - 1
        self._latest[station] = max(self._latest.get(station, 0), epoch)

    def _take_pack(self, station: str, payload: dict) -> list[int]:
        """Store a pack's events once; the epochs it touched."""
        self.packs.append(payload)
        touched = []
        for event in payload["events"]:
            epoch = event.get("epoch", 0)
            if (station, epoch) not in self._upto:       # an epoch no birth announced: it starts here
                self._start(station, epoch, event["seq"] if self._latest.get(station) else 1)
            self.arrivals.append(event)
            if self.events.setdefault(event["id"], event) != event:
                self.mismatches.append(event["id"])          # a re-send must be the same event
            if self._ids.setdefault((station, epoch, event["seq"]), event["id"]) != event["id"]:
                self.collisions.append((station, epoch, event["seq"]))
            self._seqs.setdefault((station, epoch), set()).add(event["seq"])
            if epoch not in touched:
                touched.append(epoch)
        for epoch in touched:
            upto, seqs = self._upto[station, epoch], self._seqs[station, epoch]
            while upto + 1 in seqs:
                upto += 1
            self._upto[station, epoch] = upto
        return touched

    def ack(self, station: str, epoch: int | None = None) -> None:
        """Acknowledge everything of `epoch` (default: the newest seen) received without a gap so far."""
        import json

        epoch = self._latest.get(station, 0) if epoch is None else epoch
        body = {"upto_seq": self._upto.get((station, epoch), 0)}
        if epoch:
            body["epoch"] = epoch
        self.client.publish(f"vstation/v1/{station}/events/ack", json.dumps(body), qos=1)

    def upto(self, station: str, epoch: int | None = None) -> int:
        """How far the district has every event of `epoch` (default: the station's newest epoch seen)."""
        with self.lock:
            return self._upto.get((station, self._latest.get(station, 0) if epoch is None else epoch), 0)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def station_config(folder: Path, broker: Broker, **mqtt: object) -> Path:
    """The demo station.toml in `folder`, linked to `broker` (extra [mqtt] keys as given)."""
    from kiosk import demo

    from conftest import demo_config

    path = demo_config(folder)
    from kiosk.demo import mqtt_block

    keys = {"enabled": True, "host": broker.host, "port": broker.port, "telemetry_seconds": 5, **mqtt}
    if "hosts" in mqtt:                            # a cluster's nodes instead of the one broker
        keys.pop("host")
    text = path.read_text(encoding="utf-8")
    assert "[mqtt]\nenabled = false\n" in text
    path.write_text(text.replace("[mqtt]\nenabled = false\n", mqtt_block(keys)), encoding="utf-8")
    return path


class SyncThread:
    """`run_sync` in a thread of the test process, stopped as SIGTERM would (its `stop` event)."""

    def __init__(self, config_path: Path, **tuning: object) -> None:
        from kiosk import config as cfg
        from sync.agent import run_sync
        from sync.drain import Tuning

        self.config = cfg.load(config_path)
        self.stop_event = threading.Event()
        self.errors: list[BaseException] = []

        def main() -> None:
            try:
                run_sync(self.config, stop=self.stop_event, tuning=Tuning(**tuning))
            except BaseException as exc:   # surfaced by stop()
                self.errors.append(exc)

        self.thread = threading.Thread(target=main, name="sync-under-test", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "sync did not stop"
        if self.errors:
            raise self.errors[0]
