"""NATS's `authorization {}` users, for a district whose broker is a NATS cluster (`registry.broker = "nats"`).

The same rules as mosquitto's ACL (broker_files.py), in NATS's terms: MQTT
topic `vstation/v1/<id>/events` is NATS subject `vstation.v1.<id>.events`.
Every station logs in over MQTT only (`allowed_connection_types`) and may
publish and subscribe under its own `vstation.v1.<id>.>`; the hub reads
what stations publish and writes what they subscribe to. Both may subscribe
to `$MQTT.sub.>`, where NATS delivers QoS 1 subscriptions (its MQTT docs,
"special permissions"; an MQTT client cannot name that subject itself,
since `$MQTT` topics are refused).

Passwords are kept as bcrypt hashes (the only hash NATS reads), in a JSON
file beside the users file (`<file>.json`, mode 640): the users file is
written whole from it after every change, and read by NATS at
`nats-server --signal reload`. The passwords are 192-bit random tokens, so
the hash's work factor guards nothing a guess could reach; it is kept low
(`COST`), because NATS checks it at every CONNECT and a reconnect storm of
thousands of stations pays it thousands of times.
"""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt

from sync.topics import PREFIX

from ..contract import UPSTREAM
from .broker_files import DOWNSTREAM, _write_private

COST = 6                      # bcrypt's work factor: ~2 ms a check here (NATS's own tool defaults to 11: ~100 ms)
DELIVERIES = "$MQTT.sub.>"    # where NATS delivers QoS 1 messages to MQTT subscriptions


def subject(topic: str) -> str:
    """An MQTT topic filter as the NATS subject NATS maps it to (`/` → `.`, `+` → `*`, `#` → `>`)."""
    return topic.replace("/", ".").replace("+", "*").replace("#", ">")


def hashes_path(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".json")


def users(users_file: Path) -> list[str]:
    return sorted(_hashes(users_file))


def set_password(users_file: Path, user: str, password: str, hub_user: str) -> None:
    """Add or change one user's password, and write the users file again."""
    kept = _hashes(users_file)
    kept[user] = bcrypt.hashpw(password.encode(), bcrypt.gensalt(COST, prefix=b"2a")).decode()
    _save(users_file, kept, hub_user)


def remove_user(users_file: Path, user: str, hub_user: str) -> None:
    kept = _hashes(users_file)
    if kept.pop(user, None) is not None:
        _save(users_file, kept, hub_user)


def write(users_file: Path, hub_user: str) -> None:
    """The users file again from the kept hashes (the hub's rights may have changed with its name)."""
    _save(users_file, _hashes(users_file), hub_user)


def users_text(hashes: dict[str, str], hub_user: str) -> str:
    """The whole users file: to be included inside nats.conf's `authorization {}` block."""
    hub = {"publish": {"allow": [subject(f"{PREFIX}/*/{leaf}") for leaf in DOWNSTREAM]},
           "subscribe": {"allow": [subject(f"{PREFIX}/*/{leaf}") for leaf in UPSTREAM] + [DELIVERIES]}}
    lines = ["# Written by `vstation district`; changes here are overwritten by add-station/remove-station.",
             "users = ["]
    for user, hashed in sorted(hashes.items()):
        if user == hub_user:
            rights = hub
        else:
            own = subject(f"{PREFIX}/{user}/#")
            rights = {"publish": {"allow": [own]}, "subscribe": {"allow": [own, DELIVERIES]}}
        entry = {"user": user, "password": hashed, "permissions": rights, "allowed_connection_types": ["MQTT"]}
        lines.append("  " + json.dumps(entry, ensure_ascii=True))     # NATS's config reads JSON objects
    lines.append("]")
    return "\n".join(lines) + "\n"


def _hashes(users_file: Path) -> dict[str, str]:
    path = hashes_path(users_file)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save(users_file: Path, hashes: dict[str, str], hub_user: str) -> None:
    _write_private(hashes_path(users_file), json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    _write_private(users_file, users_text(hashes, hub_user))
