"""The station's configuration (`station.toml`), loaded and validated at start.

docs/architecture.md (Configuration) is the contract. An invalid file stops the program with every bad
key, the value found and what was expected; nothing runs on a half-valid file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..base.digits import whole_number
from ..base.errors import ConfigError
from .console import CounterButtons, StaffConsoleSettings, counter_buttons, staff_console
from .help import HelpSettings, help_settings
from .offer import (
    Guide,
    Localized,
    PointsSettings,
    QueueSettings,
    Service,
    guide,
    points,
    queue,
    services,
)
from .reader import Problems, Table, show
from .schedule import Schedule

DEFAULT_PATH = Path("/etc/vstation/station.toml")
LANGUAGES = ("zh", "bo", "en")
PRINTER_KINDS = ("usb", "serial", "network", "file", "sim")
READER_KINDS = ("rdm6300", "serial-line", "evdev", "sim")
LOCKER_KINDS = ("gpio", "rs485", "sim")
SLOT_PURPOSES = ("umbrella", "charging")


@dataclass(frozen=True)
class StationInfo:
    id: str
    name: Localized
    district: str
    timezone: str
    language: str


@dataclass(frozen=True)
class KioskSettings:
    host: str
    port: int
    idle_seconds: int


@dataclass(frozen=True)
class DeviceSettings:
    """Printer or card reader: its kind plus the options that kind takes."""
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LockerSlot:
    id: str
    purpose: str
    lock_pin: int | None = None
    door_pin: int | None = None
    board: int | None = None
    channel: int | None = None
    item_pin: int | None = None


@dataclass(frozen=True)
class LockerSettings:
    kind: str
    slots: tuple[LockerSlot, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MqttSettings:
    enabled: bool
    host: str = ""
    port: int = 8883
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    username: str = ""
    password_file: str = ""
    command_key_file: str = ""
    telemetry_seconds: int = 30
    protocol: str = "5"              # MQTT version: "5" (default) or "3.1.1"
    hosts: tuple[tuple[str, int], ...] = ()   # `mqtt.hosts`: the brokers of a cluster, tried in turn

    @property
    def brokers(self) -> tuple[tuple[str, int], ...]:
        """Every broker to try, in order: `mqtt.hosts`, or the one `host`:`port`."""
        return self.hosts or ((self.host, self.port),)


@dataclass(frozen=True)
class Config:
    path: Path
    station: StationInfo
    kiosk: KioskSettings
    database_path: Path
    printer: DeviceSettings
    card_reader: DeviceSettings
    lockers: LockerSettings
    mqtt: MqttSettings
    services: tuple[Service, ...]
    queue: QueueSettings
    guide: Guide
    points: PointsSettings
    help: HelpSettings = HelpSettings()
    staff_console: StaffConsoleSettings = StaffConsoleSettings()
    counter_buttons: tuple[CounterButtons, ...] = ()

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        """The station's opening hours and each service's (for checks that span them all)."""
        return (self.queue.schedule, *(s.schedule for s in self.services))

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    @property
    def counters(self) -> tuple[str, ...]:
        """Every counter some service is called to, in first-mentioned order."""
        return tuple(dict.fromkeys(c for s in self.services for c in s.counters))


def config_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """Where the config lives: `--config`, else `$VSTATION_CONFIG`, else /etc/vstation."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("VSTATION_CONFIG")
    return Path(env) if env else DEFAULT_PATH


def load(path: str | os.PathLike[str]) -> Config:
    """Read and validate a station.toml; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file (write one with `vstation init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse(raw, path)


def parse(raw: dict[str, Any], path: Path) -> Config:
    """Validate an already-parsed TOML document (relative paths are relative to `path`)."""
    problems = Problems()
    root = Table(raw, "", problems)
    base = path.parent
    offered = services(root)
    config = Config(
        path=path,
        station=_station(root.table("station")),
        kiosk=_kiosk(root.table("kiosk")),
        database_path=_database(root.table("database"), base),
        printer=_printer(root.table("printer"), base),
        card_reader=_reader(root.table("card_reader")),
        lockers=_lockers(root.table("lockers")),
        mqtt=_mqtt(root.table("mqtt"), base),
        services=offered,
        queue=queue(root.table("queue")),
        guide=guide(root.table("guide")),
        points=points(root.table("points")),
        help=help_settings(root.table("help")),
        staff_console=staff_console(root.table("staff_console"), base),
        counter_buttons=counter_buttons(root, tuple(dict.fromkeys(c for s in offered for c in s.counters))),
    )
    _no_shared_pins(config, problems)
    root.done()
    if problems:
        raise ConfigError(f"{path}: invalid configuration\n  " + "\n  ".join(problems.items))
    return config


def _no_shared_pins(config: Config, problems: Problems) -> None:
    """A call button cannot sit on a locker's pin, nor the console on the kiosk's port."""
    locker_pins = {p for s in config.lockers.slots for p in (s.lock_pin, s.door_pin, s.item_pin) if p is not None}
    for buttons in config.counter_buttons:
        for action, pin in buttons.keys.items():
            if buttons.kind != "evdev" and pin in locker_pins:
                problems.add("counter_buttons", f"counter {buttons.counter} {action} = {pin} is a locker pin, "
                             "expected a pin of its own")
    console = config.staff_console
    if console.enabled and console.port == config.kiosk.port:
        problems.add("staff_console.listen", f"port {console.port} is the kiosk's, expected another port")


def _station(t: Table) -> StationInfo:
    info = StationInfo(
        id=t.text("id", pattern=r"[a-z0-9][a-z0-9-]{0,62}",
                  expected="lower-case letters, digits and '-' (it is used in MQTT topics)"),
        name=t.localized("name"),
        district=t.text("district", pattern=r"[a-z0-9][a-z0-9-]{0,62}",
                        expected="lower-case letters, digits and '-'"),
        timezone=t.text("timezone", "Asia/Shanghai"),
        language=t.choice("language", LANGUAGES, "zh"),
    )
    try:
        ZoneInfo(info.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        t.problems.add(t.key("timezone"), f"found {show(info.timezone)}, expected an IANA zone such as \"Asia/Shanghai\"")
    t.done()
    return info


def _kiosk(t: Table) -> KioskSettings:
    listen = t.text("listen", "127.0.0.1:8080")
    host, _, port_text = listen.rpartition(":")
    host = host.strip("[]")
    port = whole_number(port_text, high=65535) or -1
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback or not 1 <= port <= 65535:
        t.problems.add(t.key("listen"), f"found {show(listen)}, expected a loopback address and port "
                       "such as \"127.0.0.1:8080\" (the kiosk UI is never served to the network)")
    settings = KioskSettings(host=host, port=port, idle_seconds=t.integer("idle_seconds", 60, low=10, high=3600))
    t.done()
    return settings


def _database(t: Table, base: Path) -> Path:
    path = base / t.text("path", "/var/lib/vstation/station.db")
    t.done()
    return path


def _printer(t: Table, base: Path) -> DeviceSettings:
    kind = t.choice("kind", PRINTER_KINDS)
    options: dict[str, Any] = {
        "profile": t.text("profile", "NT-80-V-UL"),
        "text": t.choice("text", ("gb18030", "raster"), "gb18030"),
    }
    if kind == "usb":
        options["vendor_id"] = t.integer("vendor_id", low=0, high=0xFFFF)
        options["product_id"] = t.integer("product_id", low=0, high=0xFFFF)
    elif kind == "serial":
        options["device"] = t.text("device", expected="a device path such as \"/dev/ttyUSB0\"")
        options["baudrate"] = t.integer("baudrate", 9600, low=1200, high=921600)
    elif kind == "network":
        options["host"] = t.text("host")
        options["port"] = t.integer("port", 9100, low=1, high=65535)
    elif kind == "file":
        options["path"] = str(base / t.text("path", expected="a file path"))
    t.done()
    return DeviceSettings(kind=kind, options=options)


def _reader(t: Table) -> DeviceSettings:
    kind = t.choice("kind", READER_KINDS)
    options: dict[str, Any] = {"debounce_seconds": t.number("debounce_seconds", 2.0, low=0.1, high=30)}
    if kind in ("rdm6300", "serial-line", "evdev"):
        options["device"] = t.text("device", expected="a device path such as \"/dev/serial0\"")
    if kind in ("rdm6300", "serial-line"):
        options["baudrate"] = t.integer("baudrate", 9600, low=1200, high=921600)
    t.done()
    return DeviceSettings(kind=kind, options=options)


def _lockers(t: Table) -> LockerSettings:
    kind = t.choice("kind", LOCKER_KINDS, "sim")
    options: dict[str, Any] = {"pulse_seconds": t.number("pulse_seconds", 0.5, low=0.05, high=10)}
    if kind == "gpio":
        options["active_high"] = t.flag("active_high", True)
    if kind == "rs485":
        options["device"] = t.text("device", expected="a device path such as \"/dev/ttyUSB1\"")
        options["baudrate"] = t.integer("baudrate", 9600, low=1200, high=921600)
        options["reply_timeout_seconds"] = t.number("reply_timeout_seconds", 1.2, low=0.1, high=10)
        options["poll_seconds"] = t.number("poll_seconds", 1.0, low=0.2, high=60)
    options.update(_locker_rules(t))
    slots = []
    for s in t.tables("slot"):
        slot = LockerSlot(
            id=s.text("id", pattern=r"[A-Za-z0-9-]{1,16}", expected="a short id such as \"U1\""),
            purpose=s.choice("purpose", SLOT_PURPOSES),
            lock_pin=s.integer("lock_pin", low=0, high=53) if kind in ("gpio", "sim") else None,
            door_pin=s.integer("door_pin", None, low=0, high=53) if kind in ("gpio", "sim") else None,
            board=s.integer("board", low=0, high=255) if kind == "rs485" else None,
            channel=s.integer("channel", low=1, high=255) if kind == "rs485" else None,
            item_pin=s.integer("item_pin", None, low=0, high=53) if kind in ("gpio", "sim") else None,
        )
        s.done()
        slots.append(slot)
    t.unique("slot", [s.id for s in slots])
    t.done()
    return LockerSettings(kind=kind, slots=tuple(slots), options=options)


def _locker_rules(t: Table) -> dict[str, Any]:
    """How loans and doors are watched (lockers.py reads these)."""
    return {
        "open_timeout_seconds": t.number("open_timeout_seconds", 15, low=2, high=120),
        "door_settle_seconds": t.number("door_settle_seconds", 1.0, low=0, high=10),
        "fault_after": t.integer("fault_after", 3, low=1, high=20),
        "door_alarm_seconds": t.integer("door_alarm_seconds", 60, low=10, high=3600),
        "umbrella_due_hours": t.integer("umbrella_due_hours", 72, low=1, high=24 * 60),
        "charging_max_hours": t.integer("charging_max_hours", 4, low=1, high=72),
        "overdue_points": t.integer("overdue_points", 0, low=0, high=100),
    }


def _mqtt(t: Table, base: Path) -> MqttSettings:
    enabled = t.flag("enabled", False)

    def file(name: str) -> str:
        value = t.text(name, "")
        return str(base / value) if value else ""

    port = t.integer("port", 8883, low=1, high=65535)
    hosts = t.brokers("hosts", port)
    if hosts and t.text("host", ""):
        t.problems.add(t.key("host"), "give mqtt.host or mqtt.hosts, not both")
    settings = MqttSettings(
        enabled=enabled,
        host=hosts[0][0] if hosts else (t.text("host") if enabled else t.text("host", "")),
        port=hosts[0][1] if hosts else port,
        hosts=hosts,
        tls_ca=file("tls_ca"), tls_cert=file("tls_cert"), tls_key=file("tls_key"),
        username=t.text("username", ""),
        password_file=file("password_file"),
        command_key_file=file("command_key_file"),
        telemetry_seconds=t.integer("telemetry_seconds", 30, low=5, high=3600),
        protocol=t.choice("protocol", ("5", "3.1.1"), "5"),
    )
    t.done()
    return settings


def with_overrides(config: Config, *, port: int | None = None,
                   console: tuple[str, int] | None | bool = False) -> Config:
    """The same config with the kiosk port replaced (the demo's `--port`) and the staff console moved
    (`--console IP:PORT`) or turned off (`--console off`: None); False leaves the console as configured."""
    if port is not None:
        config = replace(config, kiosk=replace(config.kiosk, port=port))
    if console is None:
        config = replace(config, staff_console=replace(config.staff_console, enabled=False))
    elif console is not False:
        host, console_port = console
        config = replace(config, staff_console=replace(config.staff_console, enabled=True, host=host,
                                                       port=console_port))
    return config


def with_mqtt(config: Config, broker: tuple[str, int]) -> Config:
    """The same config pointed at another broker, plain TCP (the demo's `--mqtt HOST:PORT`)."""
    host, port = broker
    return replace(config, mqtt=replace(config.mqtt, enabled=True, host=host, port=port, hosts=(),
                                        tls_ca="", tls_cert="", tls_key=""))
