"""The long-running kiosk process, and the demo that runs kiosk and sync together."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import config as cfg
from . import hardware
from .base import sdnotify, store
from .base.bus import Bus
from .base.clock import utc_now
from .base.errors import VStationError
from .config import Config
from .district.commands import Commander
from .station import Station

if TYPE_CHECKING:
    from district.demo import DemoDistrict

log = logging.getLogger(__name__)
REQUEST_THREADS = 8      # threads that answer requests; open event streams have their own on top
CONNECTION_LIMIT = 512   # waitress's default 100 lets idle keep-alive connections lock everyone out


class PortInUse(VStationError, OSError):
    """The kiosk's port is taken, usually by another kiosk."""


def serve_kiosk(config: Config, *, on_ready: Callable[[str, str], None] | None = None,
                simulate: bool = False) -> int:
    """Run the kiosk until SIGTERM/SIGINT: database, devices, the staff console (HTTPS on the LAN, when it
    is on), then the UI on loopback. `on_ready` gets both addresses ("" for a console that is off).

    `simulate` (the demo, `vstation run --simulate`) adds the simulator panel; `vstation kiosk`
    never has it, even when every device is configured as a simulated one.
    """
    from waitress import create_server

    from .web import create_app

    with store.InstanceLock(config.database_path, "kiosk"):
        store.open_store(config.database_path).close()
        hw = hardware.build(config)
        station = Station(config, printer=hw.printer, reader=hw.reader, lockers=hw.lockers, bus=Bus(),
                          voice=hardware.build_voice())
        if hw.buttons is not None:
            hw.buttons.when_press = station.button_pressed   # the counters' call buttons
        console = _start_console(config, station, hw)
        app = create_app(station, simulated=simulate, console_url=console.url if console else "")
        app.extensions["vstation.buttons"] = hw.buttons       # the simulator panel presses simulated ones
        try:
            server = create_server(app, host=config.kiosk.host, port=config.kiosk.port,
                                   threads=REQUEST_THREADS + app.extensions["vstation.streams"].limit, ident="vstation",
                                   clear_untrusted_proxy_headers=True, channel_request_lookahead=5,
                                   connection_limit=CONNECTION_LIMIT, asyncore_use_poll=True)
        except OSError as exc:
            if console:
                console.stop()
            hw.close()
            raise PortInUse(f"cannot listen on {config.kiosk.host}:{config.kiosk.port}: {exc.strerror} "
                            "(is another kiosk running?)") from None
        url = f"http://{config.kiosk.host}:{server.effective_port}/"
        station.start()
        commander = Commander(station).start()
        signal.signal(signal.SIGTERM, _exit_on_signal)
        log.info("kiosk of %s ready at %s", config.station.id, url)
        if on_ready:
            on_ready(url, console.url if console else "")
        sdnotify.notify(f"READY=1\nSTATUS=serving {url}" + (f", staff console {console.url}" if console else ""))
        watchdog = sdnotify.Watchdog(lambda: _answers(url + "api/v1/health")).start()
        try:
            server.run()
        finally:
            watchdog.stop()
            if console:
                console.stop()
            commander.stop()
            station.stop()
            if hw.buttons is not None:
                hw.buttons.close()
    return 0


def _start_console(config: Config, station: Station, hw: hardware.Hardware):
    """The staff console's HTTPS listener, when `[staff_console]` turns it on (else None)."""
    if not config.staff_console.enabled:
        return None
    from .web.tls_listener import ConsoleListener, ConsoleUnavailable

    try:
        return ConsoleListener(station, config.staff_console).start()
    except ConsoleUnavailable:
        hw.close()
        raise


def _answers(url: str) -> bool:
    """The watchdog's probe: the server loop accepted and a worker answered (any HTTP status)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _exit_on_signal(signum: int, _frame: object) -> None:
    sdnotify.notify("STOPPING=1")
    raise SystemExit(0)


def run_demo(*, data_dir: Path, port: int | None, mqtt: tuple[str, int] | None,
             config_path: Path | None = None, district: bool = False,
             console: tuple[str, int] | None | bool = False, always_open: bool = False) -> int:
    """`vstation run --simulate`: seed a demo station, start sync beside the kiosk (and its district if asked)."""
    # here, not at the top: `vstation kiosk` on a Pi Zero should not load the demo (and cryptography)
    from . import demo

    hub = None
    if district:
        hub, config_path = start_demo_district(data_dir, config_path or demo.write_config(data_dir))
    try:
        return _demo_station(data_dir, port, mqtt, config_path, hub, console, always_open)
    finally:
        if hub:
            hub.stop()


def start_demo_district(data_dir: Path, config_path: Path) -> tuple[DemoDistrict, Path]:
    """The demo's district (`--district`) for the station of `config_path`: a local mosquitto and the hub,
    its register holding the demo roster; returns the running `DemoDistrict` and the station's config
    linked to it (station-district.toml beside the station.toml of `data_dir`)."""
    from district.demo import DemoDistrict

    from . import demo

    loaded = cfg.load(config_path)
    people = [{"member_id": m.id, "name": m.name, "role": m.role, "grid": m.grid, "card_uid": uid}
              for m, uid in demo.ROSTER]
    hub = DemoDistrict(data_dir / "district").start(
        loaded.station.id, loaded.station.name["zh"], members=people, grid=demo.ROSTER[0][0].grid,
        categories=[{"id": c.id, "name": c.name} for c in loaded.help.categories])
    return hub, demo.linked_config(data_dir, hub.station_mqtt())


def _demo_station(data_dir: Path, port: int | None, mqtt: tuple[str, int] | None, config_path: Path | None,
                  hub, console: tuple[str, int] | None | bool, always_open: bool) -> int:
    """`console`: False keeps the config's staff console, None turns it off, (ip, port) moves it there."""
    from . import demo

    path = config_path or demo.write_config(data_dir)
    config = cfg.with_overrides(cfg.load(path), port=port, console=console)
    if always_open:
        config = demo.always_open(config)
    demo.console_certificate(config)
    if {config.printer.kind, config.card_reader.kind, config.lockers.kind} != {"sim"}:
        raise VStationError(f"{path}: --simulate needs kind = \"sim\" for printer, card_reader and lockers")
    conn = store.open_store(config.database_path)
    demo.seed(conn, new_member_points=config.points.new_member)
    conn.close()
    sync_cmd = [sys.executable, "-m", "kiosk", "--config", str(path), "sync"]
    if mqtt:
        sync_cmd += ["--mqtt", f"{mqtt[0]}:{mqtt[1]}"]
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    sync = subprocess.Popen(sync_cmd, env=env)  # only the kiosk speaks to systemd
    link = (f"broker 127.0.0.1:{hub.broker_port}, the district's\n  district:      {hub.console_url}  "
            f"(user admin, password {hub.password})" if hub else
            "%s:%d" % mqtt if mqtt else "no broker: events are kept in the outbox")

    def banner(url: str, console_url: str) -> None:
        print(f"\n  vstation demo: {config.station.name['zh']} ({config.station.id})\n"
              f"  kiosk screen:  {url}\n  simulator:     {url}sim/\n"
              f"  staff console: {demo.console_text(config, console_url)}\n"
              f"  queue:         {demo.hours_text(config, utc_now())}\n"
              f"  data folder:   {config.database_path.parent}\n"
              f"  district sync: {link}\n"
              f"  demo cards (tap them in the simulator):\n{demo.cards_text()}\n", flush=True)

    try:
        return serve_kiosk(config, on_ready=banner, simulate=True)
    finally:
        sync.terminate()
        try:
            sync.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sync.kill()
