"""The demo station behind `vstation run --simulate`: a config, a roster and a catalogue.

Demo cards are printed at start-up so a visitor can tap them in the simulator
panel. Seeding is idempotent: running the demo twice changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from ..base import store
from ..base.outbox import now_rfc3339
from ..config import Config, load
from ..config.console import CA_FILE
from ..config.schedule import ALL_DAY, Schedule
from ..members import cards, roster, staff
from ..members.cards import Member
from ..tickets.opening import Hours
from ..upkeep.console_cert import fingerprint_of, write_certificate

ROSTER = (
    # (member, card UID as an RDM6300 reader sends it)
    (Member("M001", "卓玛", "member", "grid-1", 10), "0A1B2C3D4E"),
    (Member("M002", "扎西", "volunteer", "grid-1", 10), "0A00C0FFEE"),
    (Member("M003", "王秀英", "member", "grid-2", 10), "1234ABCD56"),
    (Member("S001", "李娜", "staff", "grid-1", 10), "5A5A5A5A01"),
)
UNKNOWN_CARD = "9999999999"
STAFF_PIN = "1234"          # the demo staff member's PIN (S001)

CATALOG = (
    # (id, names, points price, opening stock, at most this many per member a month (0: no limit))
    ("soap", {"zh": "洗衣皂", "bo": "གོས་འཁྲུད་ཡི་རན།", "en": "Laundry soap"}, 5, 40, 0),
    ("towel", {"zh": "毛巾", "bo": "ལག་ཕྱིས།", "en": "Towel"}, 8, 25, 0),
    ("oil", {"zh": "食用油 1L", "bo": "ཟ་སྣུམ་ 1L", "en": "Cooking oil 1 L"}, 10, 12, 2),
    ("rice", {"zh": "大米 5kg", "bo": "འབྲས་ 5kg", "en": "Rice 5 kg"}, 20, 8, 1),
)


def write_config(data_dir: Path) -> Path:
    """Put the demo station.toml in `data_dir` unless one is already there (never overwrite)."""
    path = data_dir / "station.toml"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        text = resources.files(__package__).joinpath("station.toml").read_text(encoding="utf-8")
        path.write_text(text, encoding="utf-8")
        console_certificate(load(path))      # its staff console is on: the certificate goes beside it
    return path


def linked_config(data_dir: Path, mqtt: dict[str, object]) -> Path:
    """The demo station.toml with an [mqtt] section for a district (`--district`), as station-district.toml."""
    text = write_config(data_dir).read_text(encoding="utf-8")
    if "[mqtt]\nenabled = false\n" not in text:
        raise ValueError(f"{data_dir / 'station.toml'} has no plain `[mqtt] enabled = false` to link")
    path = data_dir / "station-district.toml"
    path.write_text(text.replace("[mqtt]\nenabled = false\n", mqtt_block(mqtt)), encoding="utf-8")
    return path


def mqtt_block(keys: dict[str, object]) -> str:
    """An `[mqtt]` section with these keys, as TOML text."""
    return "[mqtt]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in keys.items())


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def seed(conn: sqlite3.Connection, *, new_member_points: int = 10) -> None:
    """Load the demo roster and catalogue once; later runs leave the data as it is."""
    if cards.count(conn) == 0:
        rows = [roster.Row(n, member, uid, None) for n, (member, uid) in enumerate(ROSTER, start=2)]
        roster.apply(conn, rows, new_member_points=new_member_points)
    with store.transaction(conn):
        if conn.execute("SELECT COUNT(*) FROM goods").fetchone()[0] == 0:
            for goods_id, names, price, stock, limit in CATALOG:
                conn.execute("INSERT INTO goods (id, name, price, limit_qty, limit_period) VALUES (?, ?, ?, ?, 'month')",
                             (goods_id, json.dumps(names, ensure_ascii=False), price, limit))
                conn.execute("INSERT INTO stock_moves (goods_id, delta, reason, ts) VALUES (?, ?, ?, ?)",
                             (goods_id, stock, "opening stock (demo)", now_rfc3339()))
    if conn.execute("SELECT COUNT(*) FROM staff_pins").fetchone()[0] == 0:
        for member, _uid in ROSTER:
            if member.role == "staff":
                staff.set_pin(conn, member.id, STAFF_PIN)


def cards_text() -> str:
    """The demo cards with their members' ids (what a district's roster for the demo names), for the banner."""
    lines = [f"  {uid}  {m.id}  {m.name} ({m.role}{', PIN ' + STAFF_PIN if m.role == 'staff' else ''})"
             for m, uid in ROSTER]
    lines.append(f"  {UNKNOWN_CARD}  (not registered)")
    return "\n".join(lines)


def console_certificate(config: Config) -> None:
    """The demo's staff console certificate, made once in its data folder (a real station: `vstation init`)."""
    console = config.staff_console
    if console.enabled and not (Path(console.cert).exists() and Path(console.key).exists()):
        write_certificate(Path(console.cert), Path(console.key), Path(console.cert).with_name(CA_FILE),
                          station_id=config.station.id)


def console_text(config: Config, url: str) -> str:
    """How a phone pairs with the demo, for the start-up banner."""
    if not url:
        return "off (turn it on in station.toml: [staff_console] enabled = true)"
    console = config.staff_console
    cert = Path(console.cert)
    where = (f"    it listens on every address of this machine ({console.host}:{console.port}): devices on this\n"
             f"    network can open its pairing page (--console 127.0.0.1:{console.port} keeps it on this machine,\n"
             f"    --console off leaves it out)\n" if console.host in ("0.0.0.0", "::") else
             f"    it listens on {console.host}:{console.port} only\n")
    return (f"{url}  (HTTPS; certificate SHA-256 {fingerprint_of(cert)[:23]}…)\n{where}"
            f"    pair a phone: sign in at the kiosk (tap 李娜, PIN {STAFF_PIN}) → 配对设备 → 显示配对码,\n"
            f"    then scan the QR code or open the address and key in the 6 digits; the browser warns once\n"
            f"    until it trusts {cert.with_name(CA_FILE)}; on the phone sign in with S001 and PIN {STAFF_PIN}")


def always_open(config: Config) -> Config:
    """The demo with its calendar lifted (`run --simulate --always-open`): tickets at any hour, to try every flow."""
    return replace(config, queue=replace(config.queue, schedule=Schedule(week=(ALL_DAY,) * 7, given=True)),
                   services=tuple(replace(s, schedule=Schedule()) for s in config.services))


def hours_text(config: Config, now: datetime) -> str:
    """The banner's word on the queue now: open until when, or closed until when (and how to try it anyway)."""
    hours = Hours(config.queue.schedule, ZoneInfo(config.station.timezone))
    until = hours.open_until(now)
    if until is not None:
        return f"tickets now, until {hours.local(until):%H:%M} (the demo follows its calendar)"
    opening = hours.next_opening(now)
    when = f"{hours.local(opening):%a %d %b %H:%M}" if opening else "not within a year"
    return (f"closed now by the demo's calendar, opens {when} ({config.station.timezone}); "
            "to take tickets at any hour: make run ARGS=--always-open")
