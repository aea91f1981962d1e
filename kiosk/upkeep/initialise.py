"""`vstation init`: a commented station.toml and an empty, migrated database."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from .. import config as cfg
from ..base import store
from ..base.errors import ConfigError
from ..config.console import CA_FILE
from .console_cert import write_certificate


def init(config_path: Path, *, database: Path, station_id: str, console_cert: bool = False) -> int:
    """Write the example config (never over an existing file), create its database and the staff console's
    certificate; with `console_cert`, only (re)make the certificate of the existing config."""
    if console_cert:
        return console_certificate(cfg.load(config_path))
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
    print(f"wrote {config_path}\ncreated {config.database_path} (schema v{len(store.migrations())})")
    console_certificate(config)
    print("next: edit the [printer], [card_reader] and [lockers] sections, then `vstation check`")
    return 0


def console_certificate(config: cfg.Config) -> int:
    """Write the staff console's certificate and key where the config expects them, and say so."""
    console = config.staff_console
    ca = Path(console.cert).with_name(CA_FILE)
    try:
        print_ = write_certificate(Path(console.cert), Path(console.key), ca, station_id=config.station.id)
    except OSError as exc:
        raise ConfigError(f"{console.cert}: the staff console certificate cannot be written: {exc.strerror}") from None
    print(f"wrote the staff console certificate {console.cert} (SHA-256 {print_}),\n"
          f"  its key {console.key} and the CA for staff devices to trust, {ca}")
    return 0
