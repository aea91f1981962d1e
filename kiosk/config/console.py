"""The staff side of `station.toml`: the staff console on the LAN (`[staff_console]`) and the counters'
call buttons (`[[counter_buttons]]`).

Part of `station.toml` (see kiosk/config/station.py for the file as a whole). The console is off unless
turned on; it speaks HTTPS only, with the certificate `vstation init` writes beside the file (or one
that is configured).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from .reader import Table, show

BUTTON_KINDS = ("gpio", "evdev", "sim")
BUTTON_ACTIONS = ("next", "recall", "done")
CERT_FILE, KEY_FILE, CA_FILE = "staff-console.crt", "staff-console.key", "staff-console-ca.crt"


@dataclass(frozen=True)
class StaffConsoleSettings:
    enabled: bool = False
    host: str = "0.0.0.0"            # the LAN side: every address of the station, or one of them
    port: int = 8443
    cert: str = ""                   # PEM certificate (chain) and its key
    key: str = ""
    url: str = ""                    # how devices reach it (the pairing QR code); "" = found at start
    idle_minutes: int = 15           # a device's session ends after this long without an action …
    threads: int = 12                # … and each open console holds one of these for its live stream


@dataclass(frozen=True)
class CounterButtons:
    """The physical next / recall / done buttons of one counter: GPIO pins or keys of a USB keypad."""
    counter: str
    kind: str
    keys: dict[str, int | str]       # action → BCM pin (gpio, sim) or evdev key name such as "KEY_KP1"
    device: str = ""                 # evdev: the keypad's /dev/input path
    bounce_seconds: float = 0.05


def staff_console(t: Table, base: Path) -> StaffConsoleSettings:
    """`[staff_console]`: off by default; when on, where it listens and which certificate it shows."""
    enabled = t.flag("enabled", False)
    listen = t.text("listen", "0.0.0.0:8443")
    host, _, port_text = listen.rpartition(":")
    host = host.strip("[]")
    port = int(port_text) if port_text.isdigit() else -1
    try:
        ipaddress.ip_address(host)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        t.problems.add(t.key("listen"), f"found {show(listen)}, expected an IP address and port such as "
                       "\"0.0.0.0:8443\" (every address of the station) or \"192.168.1.20:8443\"")
    url = t.text("url", "", pattern=r"https://[^\s/]+(:\d+)?/?",
                 expected='the address devices open, such as "https://192.168.1.20:8443/"')
    settings = StaffConsoleSettings(
        enabled=enabled, host=host, port=port,
        cert=str(base / t.text("cert", CERT_FILE, expected="a PEM certificate file")),
        key=str(base / t.text("key", KEY_FILE, expected="a PEM private key file")),
        url=url.rstrip("/") + "/" if url else "",
        idle_minutes=t.integer("idle_minutes", 15, low=1, high=24 * 60),
        threads=t.integer("threads", 12, low=4, high=64),
    )
    t.done()
    return settings


def counter_buttons(root: Table, counters: tuple[str, ...]) -> tuple[CounterButtons, ...]:
    """`[[counter_buttons]]`: per counter, which pin or key is next, recall and done."""
    found = []
    for b in root.tables("counter_buttons"):
        counter = b.text("counter", expected="a counter some service is called to, such as \"1\"")
        if counter and counter not in counters:
            b.problems.add(b.key("counter"), f"found {show(counter)}, expected one of the counters of "
                           f"[[services]]: {', '.join(counters) or '(none)'}")
        kind = b.choice("kind", BUTTON_KINDS)
        keys: dict[str, int | str] = {}
        for action in BUTTON_ACTIONS:
            if kind == "evdev":
                key = b.text(action, "", pattern=r"KEY_[A-Z0-9_]{1,24}", expected='a key name such as "KEY_KP1"')
                if key:
                    keys[action] = key
            else:
                pin = b.integer(action, None, low=0, high=53)
                if pin is not None:
                    keys[action] = pin
        if not keys:
            b.problems.add(b.where, "has no button: give at least one of next, recall, done")
        device = b.text("device", expected='the keypad, such as "/dev/input/by-id/usb-keypad-event-kbd"') \
            if kind == "evdev" else ""
        found.append(CounterButtons(counter, kind, keys, device,
                                    b.number("bounce_seconds", 0.05, low=0.0, high=1.0)))
        b.done()
    _unique_inputs(root, found)
    return tuple(found)


def _unique_inputs(root: Table, found: list[CounterButtons]) -> None:
    """One pin (or one key of one keypad) does one thing."""
    seen: set[tuple[str, object]] = set()
    for buttons in found:
        for value in buttons.keys.values():
            where = ("pin", value) if buttons.kind != "evdev" else (buttons.device, value)
            if where in seen:
                root.problems.add(root.key("counter_buttons"), f"{show(value)} is used twice, expected each "
                                  "pin or key once")
            seen.add(where)
