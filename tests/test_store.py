"""The station database: pragmas, transactions, migrations and the instance lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.base import store
from kiosk.base.errors import AlreadyRunning, StoreError


def schema(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                        "ORDER BY type, name").fetchall()


def test_every_connection_is_wal_with_full_sync(tmp_path: Path):
    conn = store.connect(tmp_path / "station.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.isolation_level is None


def test_migrating_from_empty_reaches_the_latest_version(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    assert store.schema_version(conn) == len(store.migrations())
    names = {row[1] for row in schema(conn)}
    assert {"events", "outbox_state", "members", "goods", "stock_moves"} <= names


@pytest.mark.parametrize("start", range(0, len(store.migrations()) + 1))
def test_migrating_from_every_earlier_version_gives_the_same_schema(tmp_path: Path, start: int):
    fresh = store.open_store(tmp_path / "fresh.db")
    old = store.connect(tmp_path / "old.db")
    store.migrate(old, upto=start)
    assert store.schema_version(old) == start
    store.migrate(old)
    assert schema(old) == schema(fresh)
    assert store.migrate(old) == len(store.migrations())  # running again changes nothing


def test_a_database_from_a_newer_vstation_is_refused(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="version 99.*knows only up to"):
        store.migrate(conn)


def test_a_transaction_is_all_or_nothing(tmp_path: Path):
    conn = store.open_store(tmp_path / "station.db")
    with pytest.raises(RuntimeError):
        with store.transaction(conn):
            conn.execute("INSERT INTO members (id, name, role) VALUES ('M1', 'A', 'member')")
            raise RuntimeError("power cut")
    assert conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0
    assert not conn.in_transaction


def test_a_transaction_holds_the_write_lock_from_its_start(tmp_path: Path):
    """BEGIN IMMEDIATE: a second writer cannot slip in between a check and a write."""
    a = store.open_store(tmp_path / "station.db")
    b = sqlite3.connect(tmp_path / "station.db", isolation_level=None, timeout=0.1)
    with store.transaction(a):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            b.execute("BEGIN IMMEDIATE")


def test_an_unwritable_database_path_is_one_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"database .*cannot be opened for writing"):
        store.connect(blocker / "station.db")


def test_a_second_process_on_the_same_database_is_refused(tmp_path: Path):
    db = tmp_path / "station.db"
    with store.InstanceLock(db, "kiosk"):
        code = ("from kiosk.base import store\n"
                f"store.InstanceLock({str(db)!r}, 'kiosk').acquire()\n")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode != 0
        assert f"another vstation kiosk (pid {os.getpid()}) is already running" in result.stderr
        # the other role may run beside it
        with store.InstanceLock(db, "sync"):
            pass
    with pytest.raises(AlreadyRunning):
        with store.InstanceLock(db, "kiosk"):
            store.InstanceLock(db, "kiosk").acquire()
