"""The hub's configuration (`district.toml`), loaded and validated at start like `station.toml`.

An invalid file stops the program with every bad key, the value found and
what was expected (the station's own typed reader, `kiosk.config.reader`).
Relative paths are relative to the file; a SQLite URL's path too.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.config.reader import Problems, Table, show

from .errors import SettingsError

DEFAULT_PATH = Path("/etc/vstation/district.toml")
LANGUAGES = ("zh", "en")
ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"


@dataclass(frozen=True)
class DistrictInfo:
    id: str
    name: str
    timezone: str
    language: str


@dataclass(frozen=True)
class MqttLink:
    host: str
    port: int
    username: str | None
    password_file: Path | None
    tls_ca: Path | None
    client_id: str
    shared_group: str | None      # competing consumers: subscribe as $share/{group}/…
    hosts: tuple[tuple[str, int], ...] = ()   # a clustered broker's nodes, tried in turn (else host:port)
    protocol: str = "5"           # "3.1.1" for a broker without MQTT 5 (NATS)

    @property
    def brokers(self) -> tuple[tuple[str, int], ...]:
        return self.hosts or ((self.host, self.port),)


@dataclass(frozen=True)
class ConsoleSettings:
    host: str
    port: int
    tls_cert: Path | None
    tls_key: Path | None
    behind_proxy: bool
    idle_minutes: int
    session_hours: int


@dataclass(frozen=True)
class AlertSettings:
    offline_minutes: int
    backlog_minutes: int


@dataclass(frozen=True)
class RegistrySettings:
    folder: Path                  # per-station files to copy to the station
    passwd_file: Path             # mosquitto password_file
    acl_file: Path                # mosquitto acl_file
    broker_host: str              # what a station's [mqtt] host says
    broker_port: int
    station_tls_ca: str | None    # the CA's path on the station
    broker: str = "mosquitto"     # whose accounts the registry writes: mosquitto | nats
    nats_users_file: Path = Path("nats-users.conf")   # NATS: the users list its authorization block includes


@dataclass(frozen=True)
class IngestSettings:
    max_payload_bytes: int
    telemetry_days: int
    replay_after_s: float         # wait this long on a gap before asking for a replay again


@dataclass(frozen=True)
class Category:
    """A help category's name on the console (the stations' [[help.categories]] say what it is)."""
    id: str
    name: dict[str, str]


@dataclass(frozen=True)
class DispatchSettings:
    wait_minutes: int             # a new request not dispatched this long raises an alert
    points: int                   # the points a dispatch offers unless the dispatcher says otherwise
    command_hours: int            # a dispatch waits this long for an offline station, then expires
    categories: tuple[Category, ...] = ()

    def name(self, category: str) -> dict[str, str] | None:
        return next((c.name for c in self.categories if c.id == category), None)


@dataclass(frozen=True)
class Reason:
    """A reason district staff may give for a points adjustment, and the largest amount it allows."""
    id: str
    label: dict[str, str]
    max: int


OVERDRAFT_RULES = ("allow", "claw_back")


@dataclass(frozen=True)
class BalanceSettings:
    new_member: int               # the seed points of a member added at the district
    overdraft: str                # allow (written off, flagged) | claw_back (the member owes it)
    publish_seconds: int          # rosters with balances go out this often (and after every change)
    reasons: tuple[Reason, ...] = ()

    def reason(self, reason_id: str) -> Reason | None:
        return next((r for r in self.reasons if r.id == reason_id), None)


@dataclass(frozen=True)
class ShopSettings:
    low_stock: int                # a station's stock of a good at or below this raises an alert


@dataclass(frozen=True)
class Settings:
    path: Path
    district: DistrictInfo
    database_url: str
    mqtt: MqttLink
    console: ConsoleSettings
    alerts: AlertSettings
    registry: RegistrySettings
    ingest: IngestSettings
    dispatch: DispatchSettings = DispatchSettings(30, 2, 12)
    balances: BalanceSettings = BalanceSettings(10, "allow", 300)
    shop: ShopSettings = ShopSettings(3)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.district.timezone)


def settings_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """--config, else $VSTATION_DISTRICT_CONFIG, else /etc/vstation/district.toml."""
    return Path(cli_value or os.environ.get("VSTATION_DISTRICT_CONFIG") or DEFAULT_PATH)


def load(path: str | os.PathLike[str]) -> Settings:
    """Read and validate district.toml; raise SettingsError naming every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file (write one with `vstation district init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return parse(raw, path)


def parse(raw: dict, path: Path) -> Settings:
    problems = Problems()
    root = Table(raw, "", problems)
    base = path.resolve().parent
    settings = Settings(
        path=path, district=_district(root.table("district")), database_url=_database(root.table("database"), base),
        mqtt=_mqtt(root.table("mqtt"), base), console=_console(root.table("console"), base),
        alerts=_alerts(root.table("alerts")), registry=_registry(root.table("registry"), base),
        ingest=_ingest(root.table("ingest")), dispatch=_dispatch(root.table("dispatch")),
        balances=_balances(root.table("balances")), shop=_shop(root.table("shop")))
    root.done()
    if problems:
        raise SettingsError(f"{path}: {len(problems.items)} problem(s):\n  " + "\n  ".join(problems.items))
    return settings


def _district(t: Table) -> DistrictInfo:
    info = DistrictInfo(id=t.text("id", pattern=ID_PATTERN, expected="an id of a-z, 0-9 and -"),
                        name=t.text("name"), timezone=t.text("timezone", "Asia/Shanghai"),
                        language=t.choice("language", LANGUAGES, "zh"))
    try:
        ZoneInfo(info.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        t.problems.add(t.key("timezone"), f"found {show(info.timezone)}, expected an IANA zone such as "
                                          '"Asia/Shanghai"')
    t.done()
    return info


def _database(t: Table, base: Path) -> str:
    url = t.text("url", "sqlite:///district.db",
                 pattern=r"(sqlite:///.+|postgresql(\+psycopg)?://.+)",
                 expected='"sqlite:///PATH" or "postgresql+psycopg://USER@HOST:PORT/NAME"')
    password_file = t.text("password_file", "")
    t.done()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(base / url.removeprefix("sqlite:///"))
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if password_file and url.startswith("postgresql"):
        from sqlalchemy.engine import make_url
        try:
            secret = _path(base, password_file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            t.problems.add(t.key("password_file"), f"found {show(password_file)}, expected a readable file ({exc})")
        else:
            url = make_url(url).set(password=secret).render_as_string(hide_password=False)
    return url


def _path(base: Path, text: str) -> Path:
    return Path(text) if Path(text).is_absolute() else base / text


def _optional_path(t: Table, name: str, base: Path) -> Path | None:
    text = t.text(name, "")
    return _path(base, text) if text else None


def _mqtt(t: Table, base: Path) -> MqttLink:
    group = t.text("shared_group", "", pattern=r"[A-Za-z0-9_-]+", expected="a group name of letters, digits, _ and -")
    port = t.integer("port", 1883, low=1, high=65535)
    hosts = t.brokers("hosts", port)
    protocol = t.choice("protocol", ("5", "3.1.1"), "5")
    if group and protocol != "5":
        t.problems.add(t.key("shared_group"), "needs protocol \"5\" (shared subscriptions are MQTT 5's)")
    link = MqttLink(host=hosts[0][0] if hosts else t.text("host", "127.0.0.1"), port=hosts[0][1] if hosts else port,
                    hosts=hosts, protocol=protocol,
                    username=t.text("username", "") or None, password_file=_optional_path(t, "password_file", base),
                    tls_ca=_optional_path(t, "tls_ca", base),
                    client_id=t.text("client_id", "district-hub", pattern=r"[A-Za-z0-9_-]{1,64}",
                                     expected="1 to 64 letters, digits, _ or -"),
                    shared_group=group or None)
    t.done()
    return link


def _listen(t: Table, name: str, default: str) -> tuple[str, int]:
    text = t.text(name, default)
    host, _, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError
    except ValueError:
        t.problems.add(t.key(name), f'found {show(text)}, expected ADDRESS:PORT such as "127.0.0.1:8090"')
        return "127.0.0.1", 8090
    return host.strip("[]"), int(port)


def _console(t: Table, base: Path) -> ConsoleSettings:
    host, port = _listen(t, "listen", "127.0.0.1:8090")
    console = ConsoleSettings(host=host, port=port, tls_cert=_optional_path(t, "tls_cert", base),
                              tls_key=_optional_path(t, "tls_key", base), behind_proxy=t.flag("behind_proxy", False),
                              idle_minutes=t.integer("idle_minutes", 30, low=1, high=24 * 60),
                              session_hours=t.integer("session_hours", 12, low=1, high=7 * 24))
    if bool(console.tls_cert) != bool(console.tls_key):
        t.problems.add(t.key("tls_cert"), "found only one of tls_cert and tls_key, expected both or neither")
    for name, file in (("tls_cert", console.tls_cert), ("tls_key", console.tls_key)):
        if file and not file.is_file():
            t.problems.add(t.key(name), f"found {show(str(file))}, expected an existing file")
    if not console.tls_cert and not console.behind_proxy and not ipaddress.ip_address(host).is_loopback:
        t.problems.add(t.key("listen"), f"found {show(f'{host}:{port}')} without TLS, expected a loopback address, "
                                        "or tls_cert and tls_key, or behind_proxy = true")
    t.done()
    return console


def _alerts(t: Table) -> AlertSettings:
    alerts = AlertSettings(offline_minutes=t.integer("offline_minutes", 10, low=1, high=7 * 24 * 60),
                           backlog_minutes=t.integer("backlog_minutes", 60, low=1, high=7 * 24 * 60))
    t.done()
    return alerts


def _registry(t: Table, base: Path) -> RegistrySettings:
    registry = RegistrySettings(
        folder=_path(base, t.text("folder", "stations")), passwd_file=_path(base, t.text("passwd_file", "passwd")),
        acl_file=_path(base, t.text("acl_file", "acl")), broker_host=t.text("broker_host", "127.0.0.1"),
        broker_port=t.integer("broker_port", 1883, low=1, high=65535),
        station_tls_ca=t.text("station_tls_ca", "") or None,
        broker=t.choice("broker", ("mosquitto", "nats"), "mosquitto"),
        nats_users_file=_path(base, t.text("nats_users_file", "nats-users.conf")))
    t.done()
    return registry


def _ingest(t: Table) -> IngestSettings:
    ingest = IngestSettings(max_payload_bytes=t.integer("max_payload_kb", 512, low=16, high=16384) * 1024,
                            telemetry_days=t.integer("telemetry_days", 30, low=1, high=3650),
                            replay_after_s=t.number("replay_after_s", 30, low=1, high=3600))
    t.done()
    return ingest


def _dispatch(t: Table) -> DispatchSettings:
    categories = []
    for c in t.tables("category"):
        categories.append(Category(c.text("id", pattern=r"[a-z0-9-]{1,32}", expected="a category id of a-z, 0-9 and -"),
                                   c.localized("name")))
        c.done()
    t.unique("category", [c.id for c in categories])
    dispatch = DispatchSettings(wait_minutes=t.integer("wait_minutes", 30, low=1, high=7 * 24 * 60),
                                points=t.integer("points", 2, low=0, high=100),
                                command_hours=t.integer("command_hours", 12, low=1, high=24),
                                categories=tuple(categories))
    t.done()
    return dispatch


def _balances(t: Table) -> BalanceSettings:
    reasons = []
    for r in t.tables("reason"):
        reasons.append(Reason(r.text("id", pattern=r"[a-z0-9_-]{1,32}", expected="an id of a-z, 0-9, _ and -"),
                              r.localized("label"), r.integer("max", 100, low=1, high=100000)))
        r.done()
    t.unique("reason", [r.id for r in reasons])
    balances = BalanceSettings(new_member=t.integer("new_member", 10, low=0, high=100000),
                               overdraft=t.choice("overdraft", OVERDRAFT_RULES, "allow"),
                               publish_seconds=t.integer("publish_seconds", 300, low=1, high=24 * 3600),
                               reasons=tuple(reasons))
    t.done()
    return balances


def _shop(t: Table) -> ShopSettings:
    shop = ShopSettings(low_stock=t.integer("low_stock", 3, low=0, high=100000))
    t.done()
    return shop


def with_database(settings: Settings, url: str) -> Settings:
    """The same settings on another database (tests, the benchmark)."""
    return replace(settings, database_url=url)
