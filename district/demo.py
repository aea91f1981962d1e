"""The one-laptop demo's district: a local mosquitto, the hub and its console beside the demo station.

`vstation run --simulate --district` calls `DemoDistrict.start()`: under the
demo's data folder it keeps `district/` with a district.toml, the broker's
config, password and ACL files (written by the registry, so the demo logs in
exactly as a real station would), the hub's database and an admin user whose
generated password is printed. The register starts with the demo station's
members (the caller passes them: the hub may not read the station's code),
so a help request can be dispatched to the demo member at once, and the
station's help categories are named on the console. mosquitto and the hub
run as child processes and stop with the demo.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from kiosk.base.clock import utc_now

from . import accounts
from .db.engine import writing
from .errors import DistrictError
from .hub import open_database
from .members import register
from .registry import credentials
from .settings import load

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
ADMIN = "admin"


def free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else any free loopback port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise DistrictError("no free port on 127.0.0.1")


@dataclass
class DemoDistrict:
    folder: Path
    console_port: int = 8090
    broker_port: int = 1883

    def __post_init__(self) -> None:
        self.broker: subprocess.Popen | None = None
        self.hub: subprocess.Popen | None = None
        self.config = self.folder / "district.toml"

    def start(self, station: str, station_name: str, *, members: Iterable[dict[str, Any]] = (),
              categories: Iterable[dict[str, Any]] = (), grid: str = "") -> "DemoDistrict":
        """`members`: {member_id, name, role, grid, card_uid} for a register still empty; `categories`:
        {id, name} of the station's help categories; `grid`: the station's."""
        if not Path(MOSQUITTO).exists():
            raise DistrictError("the district demo needs mosquitto (Debian: sudo apt install mosquitto)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.broker_port, self.console_port = free_port(self.broker_port), free_port(self.console_port)
        self._write_config(list(categories))
        settings = load(self.config)
        credentials.hub_password(settings)
        engine = open_database(settings)
        try:
            self.password = self._admin(engine)
            self.kit = credentials.add(engine, settings, station, station_name, grid=grid,
                                       station_dir=str(settings.registry.folder / station)) \
                if not (settings.registry.folder / station / "mqtt.secret").exists() else None
            _register(engine, settings, list(members))
        finally:
            engine.dispose()
        self.station_folder = settings.registry.folder / station
        self._start_broker()
        log = open(self.folder / "hub.log", "a", encoding="utf-8")
        self.hub = subprocess.Popen([sys.executable, "-m", "kiosk", "district", "--config", str(self.config), "run"],
                                    stdout=log, stderr=subprocess.STDOUT, env=_child_env())
        _wait_listening(self.console_port, self.hub, self.folder / "hub.log")   # the banner's link works at once
        return self

    def _write_config(self, categories: list[dict[str, Any]]) -> None:
        """The demo's district.toml, written each run with this run's ports and the station's categories."""
        self.config.write_text(f"""# The demo's district (vstation run --simulate --district); rewritten at every start.
[district]
id = "demo-district"
name = "演示街道"
[database]
url = "sqlite:///district.db"
[mqtt]
port = {self.broker_port}
username = "district"
password_file = "hub-mqtt.secret"
[console]
listen = "127.0.0.1:{self.console_port}"
[alerts]
offline_minutes = 2
[registry]
broker_port = {self.broker_port}
""" + "".join(_category(c) for c in categories), encoding="utf-8")

    def _admin(self, engine) -> str:
        """The demo admin's password: made once, kept in admin-password.txt (mode 600)."""
        path = self.folder / "admin-password.txt"
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(9)
        with writing(engine) as conn:
            accounts.create_user(conn, ADMIN, password, "admin", utc_now())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        return password

    def _start_broker(self) -> None:
        folder = self.folder / "broker"
        (folder / "data").mkdir(parents=True, exist_ok=True)
        lines = [f"listener {self.broker_port} 127.0.0.1", "allow_anonymous false",
                 f"password_file {self.folder / 'passwd'}", f"acl_file {self.folder / 'acl'}", "persistence true",
                 f"persistence_location {folder / 'data'}/", "autosave_interval 10", "set_tcp_nodelay true",
                 f"log_dest file {folder / 'mosquitto.log'}"]
        if os.geteuid() == 0:
            lines.append("user root")
        (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
        self.broker = subprocess.Popen([MOSQUITTO, "-c", str(folder / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        _wait_listening(self.broker_port, self.broker, folder / "mosquitto.log")

    def station_mqtt(self) -> dict[str, object]:
        """The [mqtt] keys of the demo station, pointing at its kit."""
        return {"enabled": True, "host": "127.0.0.1", "port": self.broker_port,
                "username": self.station_folder.name, "password_file": str(self.station_folder / "mqtt.secret"),
                "command_key_file": str(self.station_folder / "command.key"), "telemetry_seconds": 10}

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}/"

    def stop(self) -> None:
        for proc in (self.hub, self.broker):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _category(category: dict[str, Any]) -> str:
    name = ", ".join(f"{lang} = {json.dumps(text, ensure_ascii=False)}" for lang, text in category["name"].items())
    return f'[[dispatch.category]]\nid = {json.dumps(category["id"])}\nname = {{ {name} }}\n'


def _register(engine, settings, members: list[dict[str, Any]]) -> None:
    """The demo station's members into a register that has none yet (a restarted demo keeps its own)."""
    now = utc_now()
    with writing(engine) as conn:
        if register.listing(conn, limit=1, active=None):
            return
        for m in members:
            register.add(conn, member_id=m["member_id"], name=m["name"], role=m["role"], grid=m.get("grid", ""),
                         card_uid=m.get("card_uid"), district=settings.district.id,
                         seed=settings.balances.new_member, by="demo", now=now)


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout_s: float = 30.0) -> None:
    """Until something accepts on 127.0.0.1:port; the process's log named if it died or never listened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    raise DistrictError(f"{Path(proc.args[0]).name if isinstance(proc.args, list) else 'a process'} is not "
                        f"listening on 127.0.0.1:{port}; see {log}")


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
