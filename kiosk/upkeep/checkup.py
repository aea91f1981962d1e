"""`vstation check`: is this station's configuration sound and does each part answer?

One line per item (config, database, printer, card reader, lockers, mqtt,
clock), then a summary; exit 1 when any item fails, so a script or an
installer can stop on it. Devices are opened only when no kiosk runs: a
running kiosk holds them, and then its own latest reports are shown.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from .. import config as cfg
from ..base import device_state, outbox, store
from ..base.clock import Clock, parse_time, utc_now
from ..base.errors import AlreadyRunning, ConfigError, VStationError
from ..base.ports import state_word
from ..config import Config
from ..config.schedule import passed
from .reach import probe_broker

Line = tuple[bool, str, str]
MIN_YEAR = 2024                      # a Pi without a real-time clock boots in 1970 until NTP answers
BEHIND = timedelta(minutes=5)        # the clock may not be this far behind the newest record
DEVICE_OK = {"ok", "paper_low", "free", "in_use", "closed", "open"}
#: How to open each kind of device from its settings: {"printer": build, "card_reader": …, "lockers": …}.
#: The caller hands in kiosk/hardware.py's builders, the one place that knows the drivers.
Openers = Mapping[str, Callable[[Any], Any]]


def check_path(path: Path, *, devices: Openers, out: Callable[[str], None] = print, clock: Clock = utc_now,
               timeout_s: float = 3.0) -> int:
    """Load the config at `path` and check everything; a config that does not load is one FAIL line."""
    try:
        config = cfg.load(path)
    except ConfigError as exc:
        return _report([(False, "config", str(exc))], out)
    return check(config, devices=devices, out=out, clock=clock, timeout_s=timeout_s)


def check(config: Config, *, devices: Openers, out: Callable[[str], None] = print, clock: Clock = utc_now,
          timeout_s: float = 3.0) -> int:
    """Print one line per item and a summary; return 0 only if everything works."""
    lines: list[Line] = [(True, "config", f"{config.path} (station {config.station.id})")]
    today = clock().astimezone(ZoneInfo(config.station.timezone)).date()
    warnings = [("config", f"{problem} (ignored)") for problem in passed(config.schedules, today)]
    db_line, newest = _database(config)
    lines.append(db_line)
    lines += _devices(config, devices)
    lines.append(_mqtt(config, timeout_s))
    lines.append(_clock(clock(), newest))
    return _report(lines, out, warnings)


def _report(lines: list[Line], out: Callable[[str], None], warnings: Sequence[tuple[str, str]] = ()) -> int:
    """Each item's line, the warnings (worth mending, not failures), and the summary."""
    for ok, item, detail in lines:
        out(f"{'ok  ' if ok else 'FAIL'}  {item:<12} {detail}")
    for item, detail in warnings:
        out(f"warn  {item:<12} {detail}")
    failed = [item for ok, item, _ in lines if not ok]
    out(f"{len(lines) - len(failed)} of {len(lines)} items ok" + (f"; failed: {', '.join(failed)}" if failed else "")
        + (f"; {len(warnings)} warning(s)" if warnings else ""))
    return 1 if failed else 0


def _database(config: Config) -> tuple[Line, datetime | None]:
    """Open (never create, never migrate) and run quick_check; also find the newest recorded moment."""
    path = config.database_path
    if not path.exists():
        return (False, "database", f"{path}: not found (create it with `vstation init`, or fix database.path)"), None
    try:
        conn = store.connect(path)
    except VStationError as exc:
        return (False, "database", str(exc)), None
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        version, latest = store.schema_version(conn), len(store.migrations())
        schema = f"schema v{version}" + (f" (the kiosk migrates it to v{latest} at start)" if version < latest else "")
        if rows != ["ok"]:
            return (False, "database", f"{path}: damaged: {'; '.join(rows[:3])} (restore a backup: "
                                       "`vstation restore`)"), None
        depth = outbox.depth(conn) if version else 0
        return (True, "database", f"{path} {schema}, integrity ok (quick_check), outbox {depth} event(s)"), \
            _newest(conn)
    except sqlite3.DatabaseError as exc:
        return (False, "database", f"{path}: damaged: {exc} (restore a backup: `vstation restore`)"), None
    finally:
        conn.close()


def _newest(conn: sqlite3.Connection) -> datetime | None:
    """The latest moment the station wrote down (events, device reports), if any."""
    moments = []
    for sql in ("SELECT MAX(ts) FROM events", "SELECT MAX(updated_at) FROM device_state"):
        try:
            value = conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:        # an old schema without that table
            continue
        if value:
            moments.append(parse_time(value))
    return max(moments, default=None)


def _devices(config: Config, openers: Openers) -> list[Line]:
    if not config.database_path.parent.is_dir():
        return _open_devices(config, openers)
    try:
        with store.InstanceLock(config.database_path, "kiosk"):
            return _open_devices(config, openers)
    except AlreadyRunning:
        return _reported_devices(config)
    except VStationError as exc:
        return [(False, "devices", str(exc))]


def _open_devices(config: Config, openers: Openers) -> list[Line]:
    lines: list[Line] = []
    for item, kind, settings in (("printer", "printer", config.printer),
                                 ("card reader", "card_reader", config.card_reader),
                                 ("lockers", "lockers", config.lockers)):
        try:
            device = openers[kind](settings)
        except VStationError as exc:
            lines.append((False, item, str(exc)))
            continue
        lines.append(_probe(item, _where(settings), device))
    return lines


def _where(settings) -> str:
    """The kind and where the device is, as the config says: "serial /dev/vstation-printer"."""
    o = getattr(settings, "options", {})
    if "device" in o or "path" in o:
        return f"{settings.kind} {o.get('device') or o.get('path')}"
    if "host" in o:
        return f"{settings.kind} {o['host']}:{o.get('port', 9100)}"
    if "vendor_id" in o:
        return f"{settings.kind} {o['vendor_id']:04x}:{o.get('product_id', 0):04x}"
    return settings.kind


def _reported_devices(config: Config) -> list[Line]:
    """The kiosk runs and holds the devices: show what it last recorded (it reports every 10 s)."""
    conn = store.connect(config.database_path)
    try:
        states = device_state.read_all(conn)
    finally:
        conn.close()
    lines: list[Line] = []
    for item, names in (("printer", ["printer"]), ("card reader", ["reader"]),
                        ("lockers", sorted(n for n in states if n.startswith("locker.")))):
        seen = {n: states[n] for n in names if n in states}
        if not seen:
            lines.append((item == "lockers" and not config.lockers.slots, item,
                          "held by the running kiosk, which has not reported it yet"))
            continue
        words = ", ".join(f"{n.removeprefix('locker.')} {s['state']}" for n, s in seen.items())
        ok = all(s["state"] in DEVICE_OK for s in seen.values())
        lines.append((ok, item, f"held by the running kiosk, which reports: {words}"))
    return lines


def _probe(item: str, kind: str, device: object) -> Line:
    if item == "printer":
        state = state_word(device.state())
        return state in ("ok", "paper_low"), item, f"{kind}: {state}"
    if item == "card reader":
        device.start()
        deadline = time.monotonic() + 2.0
        while state_word(device.state) == "unknown" and time.monotonic() < deadline:
            time.sleep(0.05)
        state = state_word(device.state)
        device.stop()
        return state == "ok", item, f"{kind}: {state}"
    try:
        doors = {slot: device.door(slot) for slot in device.slot_ids}
    finally:
        device.close()
    words = {slot: "no door sensor" if d is None else state_word(d) for slot, d in doors.items()}
    ok = all(w in DEVICE_OK or w == "no door sensor" for w in words.values())
    return ok, item, f"{kind}: " + (", ".join(f"{s} {w}" for s, w in words.items()) or "no slots")


def _mqtt(config: Config, timeout_s: float) -> Line:
    m = config.mqtt
    if not m.enabled:
        return True, "mqtt", "disabled: events stay in the outbox"
    found = [(host, port, *probe_broker(host, port, tls_ca=m.tls_ca, tls_cert=m.tls_cert, tls_key=m.tls_key,
                                        timeout_s=timeout_s)) for host, port in m.brokers]
    # the nodes of a cluster (mqtt.hosts): one that answers is enough to sync, each is named
    return any(ok for _, _, ok, _ in found), "mqtt", "; ".join(f"{h}:{p} {detail}" for h, p, _, detail in found)


def _clock(now: datetime, newest: datetime | None) -> Line:
    shown = now.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if now.year < MIN_YEAR:
        return False, "clock", (f"{shown}: not set (a Pi has no battery clock): check the network and "
                                "`timedatectl` (NTP), or set it with `sudo date -s`")
    if newest is not None and now < newest - BEHIND:
        return False, "clock", (f"{shown} is {_span(newest - now)} behind the newest record "
                                f"({newest:%Y-%m-%d %H:%M:%S} UTC): check `timedatectl`")
    return True, "clock", shown + (f", newest record {newest:%Y-%m-%d %H:%M:%S} UTC" if newest else "")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 1440} d {minutes % 1440 // 60} h" if minutes >= 1440 else f"{minutes} min"
