"""The district-owned sections of `station.toml`, as the district sends them in its `config` document.

The district decides what a station offers and by which rules: services,
queue hours, the service guide and the points rules. Its `config` document
carries those sections as JSON (`{"services": [...], "queue": {...}, ...}`)
and they are read by the very code that reads `station.toml`, so a value is
valid over MQTT exactly when it would be valid in the file. The sections a
document carries replace the file's; those it leaves out keep the file's.
The station's own sections (id, devices, database, mqtt) are never sent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from ..base.errors import ConfigError
from .help import help_settings
from .offer import guide, points, queue, services
from .reader import Problems, Table
from .station import Config

# section name → reader over the document's root table; a new district-owned section registers here
READERS: dict[str, Callable[[Table], Any]] = {
    "services": services,
    "queue": lambda root: queue(root.table("queue")),
    "guide": lambda root: guide(root.table("guide")),
    "points": lambda root: points(root.table("points")),
    "help": lambda root: help_settings(root.table("help")),
}


def read(settings: Any) -> tuple[dict[str, Any], list[str]]:
    """The sections of a config document as Config fields, and every problem ('key: found …, expected …')."""
    problems = Problems()
    root = Table(settings, "settings", problems)
    values = {name: reader(root) for name, reader in READERS.items() if name in root.data}
    root.done()
    return values, problems.items


def overlay(base: Config, settings: Any) -> Config:
    """`base` (the station.toml config) with the document's sections in place of the file's."""
    values, problems = read(settings)
    if problems:
        raise ConfigError("district config: " + "; ".join(problems))
    return replace(base, **values)
