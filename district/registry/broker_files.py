"""mosquitto's `password_file` and `acl_file` for the district broker.

Passwords go in through `mosquitto_passwd -b` (mosquitto's own salted
hash; the hub never keeps a station's password). The ACL is written whole
from the registry: the hub's own rights, then one pattern that keeps every
station inside `vstation/v1/{its username}/` (docs/mqtt.md, "Broker setup").
mosquitto reads both again on SIGHUP (`systemctl reload mosquitto`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sync.topics import PREFIX

from ..contract import UPSTREAM
from ..errors import RegistryError

PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
DOWNSTREAM = ("events/ack", "config", "roster", "catalog", "notices", "cmd/+")
STATION_PATTERN = f"pattern readwrite {PREFIX}/%u/#"


def acl_text(hub_user: str) -> str:
    """The whole acl_file: the hub reads what stations publish and writes what they subscribe to."""
    lines = ["# Written by `vstation district`; changes here are overwritten by add-station/remove-station.",
             f"user {hub_user}"]
    lines += [f"topic read {PREFIX}/+/{leaf}" for leaf in UPSTREAM]
    lines += [f"topic write {PREFIX}/+/{leaf}" for leaf in DOWNSTREAM]
    lines += ["", "# every station, logged in with its id as username, only under its own prefix", STATION_PATTERN]
    return "\n".join(lines) + "\n"


def write_acl(path: Path, hub_user: str) -> None:
    _write_private(path, acl_text(hub_user))


def set_password(path: Path, user: str, password: str) -> None:
    """Add or change one user's password in the password_file (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _write_private(path, "")
    _run([PASSWD, "-b", str(path), user, password])


def remove_user(path: Path, user: str) -> None:
    if path.exists() and any(line.split(":", 1)[0] == user for line in path.read_text().splitlines()):
        _run([PASSWD, "-D", str(path), user])


def users(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.split(":", 1)[0] for line in path.read_text().splitlines() if ":" in line]


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise RegistryError(f"{argv[0]} is not installed (Debian: apt install mosquitto)") from None
    except subprocess.CalledProcessError as exc:
        raise RegistryError(f"mosquitto_passwd failed: {exc.stderr.strip() or exc.returncode}") from None


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner and group only (mosquitto warns about world-readable ones)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
