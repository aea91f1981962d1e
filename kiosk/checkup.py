"""`vstation check`: is this station's configuration sound and does each device answer?"""

from __future__ import annotations

import time
from typing import Callable

from . import hardware, outbox, store
from .config import Config
from .errors import VStationError
from .ports import state_word

Line = tuple[bool, str, str]


def check(config: Config, *, out: Callable[[str], None] = print) -> int:
    """Print one line per item; exit 0 only if everything works."""
    lines: list[Line] = [(True, "config", f"{config.path} (station {config.station.id})")]
    lines.append(_database(config))
    lines += _devices(config)
    if config.mqtt.enabled:
        lines.append((True, "mqtt", f"{config.mqtt.host}:{config.mqtt.port} configured (not contacted: "
                                    "the district link is not in this version yet)"))
    else:
        lines.append((True, "mqtt", "disabled: events stay in the outbox"))
    for ok, item, detail in lines:
        out(f"{'ok  ' if ok else 'FAIL'}  {item:<12} {detail}")
    return 0 if all(ok for ok, _, _ in lines) else 1


def _database(config: Config) -> Line:
    try:
        conn = store.open_store(config.database_path)
    except VStationError as exc:
        return False, "database", str(exc)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        detail = (f"{config.database_path} schema v{store.schema_version(conn)}, "
                  f"integrity {result}, outbox {outbox.depth(conn)} event(s)")
        return result == "ok", "database", detail
    finally:
        conn.close()


def _devices(config: Config) -> list[Line]:
    lines: list[Line] = []
    for item, build, settings in (("printer", hardware.build_printer, config.printer),
                                  ("card reader", hardware.build_reader, config.card_reader),
                                  ("lockers", hardware.build_lockers, config.lockers)):
        try:
            device = build(settings)
        except VStationError as exc:
            lines.append((False, item, str(exc)))
            continue
        lines.append(_probe(item, settings.kind, device))
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
    doors = {slot: state_word(device.door(slot)) for slot in device.slot_ids}
    device.close()
    return True, item, f"{kind}: " + (", ".join(f"{s} {d}" for s, d in doors.items()) or "no slots")

