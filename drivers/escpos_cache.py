"""A lasting cache of python-escpos's printer capabilities, so that no start parses them again.

python-escpos 3.1 reads its capabilities database (capabilities.json, 1 MB) with PyYAML when
it is imported: 0.4 s on this machine, several seconds on a Pi Zero, in every process that
prints. It keeps the parsed form as a pickle, but by default in a new temporary folder per
process, so the pickle is never found again and each start leaves 70 KB behind in /tmp (RAM
on a Pi). The library reads its pickle from `ESCPOS_CAPABILITIES_PICKLE_DIR` when that is set.

This module sets it to one lasting folder, and only once a whole, readable pickle is there:
the library writes a missing pickle in place while it parses, and a second process could load
it half-written and fail on import. So the pickle is made here (the file is JSON, which the
standard library reads in a millisecond and which gives what PyYAML gives, tests/drivers
check both) and put in place by rename. Whatever goes wrong leaves the library's own default.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import pickle
import platform
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
PICKLE_DIR_VAR = "ESCPOS_CAPABILITIES_PICKLE_DIR"
SOURCE_VAR = "ESCPOS_CAPABILITIES_FILE"


def cache_folder() -> Path:
    """The folder for lasting caches: systemd's CacheDirectory=, else the XDG cache folder."""
    if os.environ.get("CACHE_DIRECTORY"):
        return Path(os.environ["CACHE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vstation"


def use_lasting_cache() -> Path | None:
    """Point python-escpos at a complete capabilities pickle in `cache_folder()`; return its folder.

    Does nothing when the variable is set already (the operator's choice) or python-escpos is not
    installed; returns None when the folder cannot be written, which keeps the library's default.
    """
    if PICKLE_DIR_VAR in os.environ:
        return None
    source = _capabilities_file()
    if source is None:
        return None
    folder = cache_folder()
    target = folder / f"{platform.python_version()}.capabilities.pickle"
    try:
        if not _fresh(target, source):
            folder.mkdir(parents=True, exist_ok=True)
            _write(target, json.loads(source.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        log.info("printer capabilities are parsed at each start: no cache in %s (%s)", folder, exc)
        return None
    os.environ[PICKLE_DIR_VAR] = str(folder)
    return folder


def _capabilities_file() -> Path | None:
    """The database python-escpos will read, found without importing it."""
    if os.environ.get(SOURCE_VAR):
        return Path(os.environ[SOURCE_VAR])
    spec = importlib.util.find_spec("escpos")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"


def _fresh(target: Path, source: Path) -> bool:
    """True if the pickle is there, not older than the database (the library's own rule) and readable."""
    try:
        if target.stat().st_mtime < source.stat().st_mtime:
            return False
        with target.open("rb") as f:
            return isinstance(pickle.load(f), dict)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return False      # missing, or damaged (an SD card that lost a block): made again


def _write(target: Path, capabilities: dict) -> None:
    """Write the pickle beside its place, then rename it there: readers see all of it or none."""
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=".capabilities-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(capabilities, f, protocol=2)      # the protocol the library writes
        os.replace(part, target)
    except BaseException:
        os.unlink(part)
        raise
