"""Adding, removing and re-keying a station: its MQTT password, its command key and the files to copy.

`add` registers the station, generates a password (the broker keeps only
its hash) and a command HMAC key (the hub keeps it to sign commands), and
writes the station's kit: `mqtt.secret`, `command.key` and the `[mqtt]`
section of its station.toml. `rotate` makes new ones (the old ones stop
working at the broker's next reload, and the old key at once for commands);
`remove` takes the station off the broker and refuses what it still sends.
The broker's accounts are mosquitto's password_file and ACL (broker_files.py)
or, with `registry.broker = "nats"`, NATS's users file (nats_users.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from kiosk.base.clock import utc_now

from .. import contract
from ..db.engine import writing
from ..db.schema import stations
from ..errors import RegistryError
from ..settings import Settings
from . import broker_files, nats_users

STATION_DIR = "/etc/vstation"


@dataclass(frozen=True)
class Kit:
    """What to copy to the station, and the broker lines that were written."""
    station: str
    folder: Path
    broker: str

    def lines(self) -> list[str]:
        return [f"station {self.station}: copy {self.folder}/mqtt.secret and command.key to the station "
                f"(mode 600), and paste {self.folder}/station-mqtt.toml into its station.toml",
                f"broker: {self.broker}"]


@dataclass(frozen=True)
class Accounts:
    """The broker's logins, whichever broker `registry.broker` names: one shape for mosquitto and NATS."""
    users: Callable[[], list[str]]
    set_password: Callable[[str, str], None]
    remove: Callable[[str], None]
    write_rules: Callable[[], None]            # the ACL, or NATS's permissions, written whole
    note: str                                  # which files changed, and how the broker is told


def accounts(settings: Settings) -> Accounts:
    """The logins of the broker the registry writes for: mosquitto's files, or NATS's users file."""
    r, hub = settings.registry, hub_user(settings)
    if r.broker == "nats":
        f = r.nats_users_file
        return Accounts(lambda: nats_users.users(f), lambda user, pw: nats_users.set_password(f, user, pw, hub),
                        lambda user: nats_users.remove_user(f, user, hub), lambda: nats_users.write(f, hub),
                        f"{f} updated (include it in nats.conf's authorization block); reload every NATS node "
                        "(nats-server --signal reload) so they read it")
    return Accounts(lambda: broker_files.users(r.passwd_file),
                    lambda user, pw: broker_files.set_password(r.passwd_file, user, pw),
                    lambda user: broker_files.remove_user(r.passwd_file, user),
                    lambda: broker_files.write_acl(r.acl_file, hub),
                    f"{r.passwd_file} and {r.acl_file} updated; reload mosquitto (systemctl reload mosquitto) "
                    "so it reads them")


def hub_user(settings: Settings) -> str:
    return settings.mqtt.username or "district"


def hub_password(settings: Settings) -> None:
    """Make sure the hub's own account exists: its secret file, its broker login, the broker's rules."""
    user, broker = hub_user(settings), accounts(settings)
    secret = settings.mqtt.password_file or settings.path.parent / "hub-mqtt.secret"
    if not secret.exists():
        _write_secret(secret, secrets.token_urlsafe(24))
    if user not in broker.users():
        broker.set_password(user, secret.read_text().strip())
    broker.write_rules()


def add(engine: Engine, settings: Settings, station: str, name: str = "", *, station_dir: str = STATION_DIR,
        now: datetime | None = None, grid: str = "") -> Kit:
    """Register `station` (serving `grid`, if given) and make its credentials and kit."""
    _check_id(settings, station)
    now = now or utc_now()
    with writing(engine) as conn:
        row = conn.execute(select(stations.c.removed_at).where(stations.c.id == station)).first()
        if row is not None and row.removed_at is None:
            raise RegistryError(f"station {station!r} is already registered (rotate-keys makes new credentials)")
        key = secrets.token_hex(32)
        if row is None:
            conn.execute(stations.insert().values(id=station, name=name or station, command_key=key, added_at=now,
                                                  online=False, sessions_missed=0, grid=grid.strip()[:64] or None))
        else:
            conn.execute(stations.update().where(stations.c.id == station).values(
                removed_at=None, command_key=key, keys_rotated_at=now, **({"name": name} if name else {}),
                **({"grid": grid.strip()[:64]} if grid.strip() else {})))
    return _kit(settings, station, key, station_dir)


def rotate(engine: Engine, settings: Settings, station: str, *, station_dir: str = STATION_DIR) -> Kit:
    """New password and command key for a registered station, in one step."""
    key = secrets.token_hex(32)
    with writing(engine) as conn:
        done = conn.execute(stations.update().where(stations.c.id == station, stations.c.removed_at.is_(None))
                            .values(command_key=key, keys_rotated_at=utc_now())).rowcount
    if not done:
        raise RegistryError(f"no registered station {station!r}")
    return _kit(settings, station, key, station_dir)


def remove(engine: Engine, settings: Settings, station: str) -> None:
    """Take a station off: its broker account goes, the hub refuses what it still sends; its history stays."""
    with writing(engine) as conn:
        done = conn.execute(stations.update().where(stations.c.id == station, stations.c.removed_at.is_(None))
                            .values(removed_at=utc_now(), online=False)).rowcount
    if not done:
        raise RegistryError(f"no registered station {station!r}")
    accounts(settings).remove(station)
    shutil.rmtree(settings.registry.folder / station, ignore_errors=True)


def _check_id(settings: Settings, station: str) -> None:
    if not contract.STATION_ID.fullmatch(station):
        raise RegistryError(f"station id {station!r}: expected 1 to 63 of a-z, 0-9 and -, starting with a "
                            "letter or digit (it is the station's MQTT username and topic)")
    if station == hub_user(settings):
        raise RegistryError(f"station id {station!r} is the hub's own MQTT username")


def _kit(settings: Settings, station: str, key: str, station_dir: str) -> Kit:
    """Write the password to the broker and the station's files to its folder."""
    password = secrets.token_urlsafe(24)
    hub_password(settings)
    broker = accounts(settings)
    broker.set_password(station, password)
    folder = settings.registry.folder / station
    folder.mkdir(parents=True, exist_ok=True)
    _write_secret(folder / "mqtt.secret", password)
    _write_secret(folder / "command.key", key)
    (folder / "station-mqtt.toml").write_text(mqtt_section(settings, station, station_dir), encoding="utf-8")
    return Kit(station, folder, broker.note)


def mqtt_section(settings: Settings, station: str, station_dir: str) -> str:
    """The station's `[mqtt]` section, pointing at its secret files where they will be on the station."""
    r = settings.registry
    lines = ["[mqtt]", "enabled = true", f'host = "{r.broker_host}"', f"port = {r.broker_port}"]
    if r.station_tls_ca:
        lines.append(f'tls_ca = "{r.station_tls_ca}"')
    lines += [f'username = "{station}"', f'password_file = "{station_dir}/mqtt.secret"',
              f'command_key_file = "{station_dir}/command.key"']
    return "\n".join(lines) + "\n"


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
