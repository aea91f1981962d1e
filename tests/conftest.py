"""Shared fixtures: a demo station in a temp folder, its app and client, and helpers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import config as cfg
from kiosk import demo, hardware
from kiosk.base import outbox, store
from kiosk.base.bus import Bus
from kiosk.base.clock import utc_now
from kiosk.station import Station

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalClock:
    """A fixed clock set in the demo station's local time ("2026-12-28 09:00", Asia/Shanghai)."""

    def __init__(self, local: str, zone: str = "Asia/Shanghai") -> None:
        self.zone = ZoneInfo(zone)
        self.set(local)

    def set(self, local: str) -> None:
        self.now = datetime.fromisoformat(local).replace(tzinfo=self.zone).astimezone(timezone.utc)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def __call__(self) -> datetime:
        return self.now


CALENDAR_TABLES = ("queue.week", "queue.exceptions", "services.week", "services.exceptions")


def console_on_loopback(path: Path) -> Path:
    """The demo's staff console listens on every address at 8443; a test's kiosk takes a free loopback port."""
    console = 'enabled = true\nlisten = "0.0.0.0:8443"'
    text = path.read_text(encoding="utf-8")
    assert console in text
    path.write_text(text.replace(console, f'enabled = true\nlisten = "127.0.0.1:{free_port()}"'), encoding="utf-8")
    return path


def demo_config(folder: Path, *, calendar: bool = False) -> Path:
    """The demo station.toml in `folder`, its staff console on a free loopback port (never every address of
    the machine, nor a port another test run holds). Without `calendar` its opening hours are taken out (the
    lines of `hours`, `week` and `exceptions`; the rest of the text as written), so tickets can be taken at
    any real hour: tests run at night too (tests of the calendar keep it and fix the clock)."""
    path = console_on_loopback(demo.write_config(folder))
    if not calendar:
        kept, table = [], ""
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            header = re.fullmatch(r"\[\[?([a-z_.]+)\]\]?\s*(#.*)?", line.strip())
            table = header[1] if header else table
            if table in CALENDAR_TABLES or (table in ("queue", "services") and line.startswith("hours =")):
                continue
            kept.append(line)
        path.write_text("".join(kept), encoding="utf-8")
        raw = tomllib.loads("".join(kept))
        assert not any(k in t for t in (raw["queue"], *raw["services"]) for k in ("hours", "week", "exceptions"))
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A demo station.toml (all devices simulated, open at any hour) in a fresh folder."""
    return demo_config(tmp_path)


@pytest.fixture
def config(config_path: Path) -> cfg.Config:
    return cfg.load(config_path)


@pytest.fixture
def station_clock():
    """The station's clock: the real time, unless a test module overrides this fixture with a fixed one."""
    return utc_now


@pytest.fixture
def station(config: cfg.Config, station_clock):
    """The demo station's core over simulated hardware, roster and catalogue seeded."""
    conn = store.open_store(config.database_path)
    demo.seed(conn)
    outbox.forget(conn, 10**9)   # the district has the seed entries: tests see only what they cause
    conn.close()
    hw = hardware.build(config)
    st = Station(config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus(),
                 voice=hardware.build_voice(), clock=station_clock)
    st.start()
    yield st
    problems = contract_problems(st.db())
    st.stop()
    assert not problems, f"events that break their docs/asyncapi.yaml schema: {problems[:5]}"


def contract_problems(conn) -> list[str]:
    """Every way the events still in the outbox break the contract: the message's schema, and their type's
    `Data.<type>` schema (sync/event_schemas.py), as a district checks them."""
    from sync import schemas

    problems = []
    for event in outbox.take(conn, after_seq=0, limit=10**6):
        message = event.as_message()
        problems += [f"{event.type} #{event.seq}: {p}" for p in schemas.errors(schemas.EVENT, message)]
        schema = schemas.SCHEMAS.get(f"Data.{event.type}")
        problems += [f"{event.type} #{event.seq}: {p}" for p in schemas.errors(schema or {"enum": []}, event.data)]
    return problems


@pytest.fixture
def app(station: Station):
    from kiosk.web import create_app

    return create_app(station, simulated=True, test_config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


class Card:
    """Tap cards on the simulated reader, as a person at the station would."""

    def __init__(self, station: Station) -> None:
        self.station = station

    def tap(self, uid: str) -> str:
        """Tap a card; the tap's id, as the screens hear it in the card notice (they claim the tap by it)."""
        with self.station.bus.subscribe() as sub:
            self.station.reader.tap(uid)
            while True:
                notice = sub.get(5)
                assert notice is not None, "the card notice never came"
                if notice.kind == "card":
                    return notice.data["tap"]


@pytest.fixture
def card(station: Station) -> Card:
    return Card(station)


def vstation(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real command line, as an operator would."""
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT)


class Demo:
    """A running `vstation run --simulate` process (kiosk + sync) on a free port."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        """`args` go to `vstation run --simulate` after the port and data folder (e.g. `--mqtt H:P`).
        A station.toml already in `data_dir` is used; else the demo's, open at any hour (demo_config)."""
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        if not (data_dir / "station.toml").exists():
            demo_config(data_dir)
        if not any(a.startswith("--console") for a in args):
            args += ("--console", "off")   # the staff console only where a test asks (its port is fixed)
        self.log = open(data_dir / "demo.log", "w+", encoding="utf-8")  # a pipe nobody reads would stall it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--simulate", "--port", str(self.port),
             "--data-dir", str(data_dir), *args],
            stdout=self.log, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("demo exited: " + self.output())
            try:
                with urllib.request.urlopen(self.url + "/api/v1/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("demo did not become ready")

    def output(self) -> str:
        self.log.flush()
        return (self.data_dir / "demo.log").read_text(encoding="utf-8")

    def stop(self) -> str:
        end_process(self.proc)
        return self.output()


def end_process(proc: subprocess.Popen) -> None:
    """Stop a child process as systemd would: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


class KioskAndSync(Demo):
    """A station as systemd runs it: `vstation kiosk` and `vstation sync`, two processes on `config_path`.

    Its devices are what station.toml says (a real `rdm6300` reader on a pty, say), which the demo's
    `run --simulate` refuses; the kiosk listens where `[kiosk] listen` says. Both log to demo.log in its folder.
    """

    def __init__(self, config_path: Path) -> None:
        config = cfg.load(config_path)
        self.data_dir = config_path.parent
        self.url = f"http://{config.kiosk.host}:{config.kiosk.port}"
        self.log = open(self.data_dir / "demo.log", "w+", encoding="utf-8")
        command = [sys.executable, "-m", "kiosk", "--config", str(config_path)]
        self.sync = subprocess.Popen(command + ["sync"], stdout=self.log, stderr=subprocess.STDOUT, text=True,
                                     cwd=ROOT)
        self.proc = subprocess.Popen(command + ["kiosk"], stdout=self.log, stderr=subprocess.STDOUT, text=True,
                                     cwd=ROOT)
        self._wait_ready()

    def stop(self) -> str:
        end_process(self.sync)
        return super().stop()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    b = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                                   args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def kiosk_browser(playwright):
    """Chromium as the station runs it (vstation-browser.service): sound may play without a gesture."""
    b = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                                   args=CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required"])
    yield b
    b.close()


def wait_healthy(url: str, timeout: float = 30) -> bool:
    """Wait until a kiosk at `url` answers its health check (a process just started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_until(predicate, timeout: float = 3.0) -> bool:
    """Poll a condition another thread will make true; no timing is asserted."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        pause.wait(0.01)
    return predicate()


def slips(station: Station, count: int = 1, timeout: float = 10.0) -> list[bytes]:
    """The simulated printer's slips, once the print worker has sent at least `count` of them."""
    assert wait_until(lambda: len(station.printer.jobs) >= count, timeout), \
        f"the printer got {len(station.printer.jobs)} slip(s), not {count}"
    return station.printer.jobs


def next_notice(subscription, kind: str, timeout: float = 5.0):
    """The next notice of `kind` a screen's subscription hears (others, such as print progress, pass by)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        notice = subscription.get(left)
        if notice is not None and notice.kind == kind:
            return notice
    return None


def print_outcome(station: Station, ref: str, timeout: float = 10.0):
    """The print job of record `ref` (a ticket, a redemption, a help request) once it printed or failed."""
    def finished():
        job = station.printing.latest_for(ref)
        return job if job is not None and job.done else None
    assert wait_until(lambda: finished() is not None, timeout), f"the print job of {ref} did not finish"
    return finished()


@pytest.fixture
def running_demo(tmp_path: Path):
    demo_proc = Demo(tmp_path / "demo")
    yield demo_proc
    demo_proc.stop()


@pytest.fixture
def broker(tmp_path: Path):
    """A real mosquitto on a free loopback port, persistence in the test's folder (tests/mosquitto.py)."""
    from mosquitto import Broker

    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server (Debian's) for the session, as its own user (tests/postgres.py)."""
    from postgres import Postgres

    server = Postgres().start()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str | None:
    """The district hub's database: SQLite (None: the default file) and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").create_database()
