"""python-escpos finds its capabilities in a lasting cache: a kiosk start does not parse 1 MB of YAML again.

Each check runs a fresh interpreter (the library reads its cache once, when it is imported), with
its own cache folder, and reads what the library itself reports: where its pickle is and whether
it had to parse the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import json, drivers.printer, escpos.capabilities as c; "
         "print(json.dumps({'pickle': c.pickle_path, 'parsed': c.full_load, "
         "'profiles': len(c.CAPABILITIES['profiles'])}))")


def probe(cache: Path, **env: str) -> dict:
    """Import the printer driver as the kiosk does; the library's own account of its cache."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ESCPOS_", "CACHE_DIRECTORY"))}
    clean.update(XDG_CACHE_HOME=str(cache), **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def library_database() -> Path:
    import importlib.util
    return Path(next(iter(importlib.util.find_spec("escpos").submodule_search_locations))) / "capabilities.json"


def test_no_start_parses_the_database_and_each_reads_the_same(tmp_path):
    first, second = probe(tmp_path), probe(tmp_path)
    assert first["parsed"] is False and second["parsed"] is False
    assert Path(first["pickle"]).parent == tmp_path / "vstation"
    assert first["profiles"] == second["profiles"] > 10


def test_the_cached_form_is_what_the_library_would_have_parsed(tmp_path):
    probe(tmp_path)
    import pickle
    (cached,) = (tmp_path / "vstation").glob("*.capabilities.pickle")
    source = library_database()
    assert pickle.loads(cached.read_bytes()) == yaml.safe_load(source.read_text(encoding="utf-8"))


def test_a_damaged_or_half_written_cache_is_made_again(tmp_path):
    probe(tmp_path)
    (cached,) = (tmp_path / "vstation").glob("*.capabilities.pickle")
    for damage in (b"", cached.read_bytes()[:1000], b"not a pickle at all"):
        cached.write_bytes(damage)
        seen = probe(tmp_path)
        assert seen["parsed"] is False and seen["profiles"] > 10
    assert not list((tmp_path / "vstation").glob("*.part"))


def test_an_unwritable_cache_keeps_the_library_default(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    seen = probe(blocked)             # XDG_CACHE_HOME is a file: the folder cannot be made
    assert seen["parsed"] is True and not seen["pickle"].startswith(str(blocked))


def test_systemd_cache_directory_and_the_operators_choice_win(tmp_path):
    unit = tmp_path / "unit-cache"
    unit.mkdir()
    assert Path(probe(tmp_path, CACHE_DIRECTORY=str(unit))["pickle"]).parent == unit
    own = tmp_path / "own"
    own.mkdir()
    assert Path(probe(tmp_path, ESCPOS_CAPABILITIES_PICKLE_DIR=str(own))["pickle"]).parent == own
