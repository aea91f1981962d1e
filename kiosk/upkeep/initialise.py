"""`vstation init`: a commented station.toml and an empty, migrated database."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from .. import config as cfg
from ..base import store
from ..base.errors import ConfigError


def init(config_path: Path, *, database: Path, station_id: str) -> int:
    """Write the example config (never over an existing file) and create its database."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", station_id):
        raise ConfigError(f"--station-id {station_id!r}: expected lower-case letters, digits and '-'")
    if config_path.exists():
        raise ConfigError(f"{config_path} already exists: init never overwrites a configuration")
    text = resources.files("kiosk").joinpath("station.example.toml").read_text(encoding="utf-8")
    text = text.replace("@STATION_ID@", station_id).replace("@DATABASE@", str(database.absolute()))
    config = cfg.parse(tomllib.loads(text), config_path)  # validate before writing
    store.open_store(config.database_path).close()
    try:
        config_path.parent.mkdir(parents=True, exist_ok=True)
        with open(config_path, "x", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot be written: {exc.strerror}") from None
    print(f"wrote {config_path}\ncreated {config.database_path} (schema v{len(store.migrations())})\n"
          f"next: edit the [printer], [card_reader] and [lockers] sections, then `vstation check`")
    return 0
