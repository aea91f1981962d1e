"""Backups taken while the station writes, restores, and every refusal (nothing lost, nothing half-done)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import ROOT, free_port, vstation, wait_healthy

from kiosk.upkeep import backup
from kiosk import demo
from kiosk.base import outbox, store

# A second process doing what the kiosk does: one event per BEGIN IMMEDIATE transaction, as fast as it can.
# After each commit it writes the last committed seq to a file, so the test knows what was committed when.
WRITER = """
import sys
from pathlib import Path
from kiosk.base import outbox, store
conn = store.open_store(sys.argv[1])
mark = Path(sys.argv[2])
n = 0
while True:
    with store.transaction(conn):
        ev = outbox.append(conn, "ticket.issued", {"ticket_id": f"t{n}", "pad": "x" * 200})
    n += 1
    Path(sys.argv[2] + ".tmp").write_text(str(ev.seq))
    Path(sys.argv[2] + ".tmp").replace(mark)   # atomic: a reader never sees a half-written number
"""


def _seqs(path: Path) -> list[int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes_has_every_committed_row(config_path: Path, tmp_path: Path):
    db = config_path.parent / "station.db"
    store.open_store(db).close()
    mark = tmp_path / "committed"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(mark)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while (not mark.exists() or int(mark.read_text()) < 300) and time.monotonic() < deadline:
            time.sleep(0.05)
        committed_before = int(mark.read_text())
        result = vstation("--config", str(config_path), "backup", str(tmp_path / "backups"))
        committed_after = int(mark.read_text())
        assert writer.poll() is None, "the writer kept writing through the backup"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert result.returncode == 0, result.stderr
    (copy,) = (tmp_path / "backups").glob("station-*.db")
    assert f"backed up {db} to {copy}" in result.stdout
    assert _integrity(copy) == "ok"
    seqs = _seqs(copy)
    assert seqs == list(range(1, len(seqs) + 1))          # a prefix of the commits: no hole, no torn row
    assert committed_before <= len(seqs) <= committed_after + 1
    assert not list((tmp_path / "backups").glob(".*partial"))
    assert _seqs(db)[: len(seqs)] == seqs                   # the live database went on


def test_restore_roundtrip_keeps_the_previous_database_aside(config_path: Path, tmp_path: Path):
    db = config_path.parent / "station.db"
    conn = store.open_store(db)
    with store.transaction(conn):
        outbox.append(conn, "ticket.issued", {"ticket_id": "before"})
    conn.close()
    copy = tmp_path / "one.db"
    assert vstation("--config", str(config_path), "backup", str(copy)).returncode == 0
    conn = store.open_store(db)
    with store.transaction(conn):
        outbox.append(conn, "ticket.issued", {"ticket_id": "after"})
    conn.close()

    result = vstation("--config", str(config_path), "restore", str(copy))
    assert result.returncode == 0, result.stderr
    conn = store.open_store(db)
    assert [r[0] for r in conn.execute("SELECT data FROM events")] == ['{"ticket_id":"before"}']
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    (aside,) = db.parent.glob("station.before-restore-*.db")
    assert f"the previous database is kept as {aside}" in result.stdout
    assert len(_seqs(aside)) == 2                           # "after" is not lost: it is set aside


def test_restore_refuses_while_the_kiosk_runs(config_path: Path, tmp_path: Path):
    port = free_port()
    config_path.write_text(config_path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}"),
                           encoding="utf-8")
    copy = tmp_path / "copy.db"
    store.open_store(config_path.parent / "station.db").close()
    assert vstation("--config", str(config_path), "backup", str(copy)).returncode == 0
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "kiosk"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}")
        result = vstation("--config", str(config_path), "restore", str(copy))
    finally:
        kiosk.terminate()
        kiosk.wait(timeout=20)
    assert result.returncode == 2
    assert "another vstation kiosk" in result.stderr and "stop it first" in result.stderr
    assert "nothing changed" in result.stderr
    assert not list(config_path.parent.glob("station.before-restore-*"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_restore_refuses_a_damaged_backup_and_changes_nothing(config_path: Path, tmp_path: Path, damage: str):
    db = config_path.parent / "station.db"
    conn = store.open_store(db)
    demo.seed(conn)
    conn.close()
    copy = tmp_path / "copy.db"
    assert vstation("--config", str(config_path), "backup", str(copy)).returncode == 0
    data = bytearray(copy.read_bytes())
    if damage == "garbage":
        data = bytearray(b"this is not a database" * 300)
    elif damage == "truncated":
        data = data[: len(data) // 2 + 100]
    else:                                                   # a flipped byte inside a table's page
        for i in range(len(data) - 4096, len(data) - 100, 7):
            data[i] ^= 0x5A
    copy.write_bytes(bytes(data))
    before = _seqs(db)
    result = vstation("--config", str(config_path), "restore", str(copy))
    assert result.returncode == 2
    assert "nothing changed" in result.stderr and "Traceback" not in result.stderr
    assert _seqs(db) == before


def test_restore_of_a_missing_file_says_so(config_path: Path, tmp_path: Path):
    result = vstation("--config", str(config_path), "restore", str(tmp_path / "nope.db"))
    assert result.returncode == 2
    assert "no such backup file; nothing changed" in result.stderr


def test_keep_leaves_the_newest_n_dated_backups(config_path: Path, tmp_path: Path):
    db = config_path.parent / "station.db"
    store.open_store(db).close()
    folder = tmp_path / "nightly"
    start = datetime(2026, 11, 1, 3, 30, tzinfo=timezone.utc)
    for day in range(5):
        backup.backup(db, folder, keep=3, clock=lambda d=day: start + timedelta(days=d))
    (folder / "notes.txt").write_text("not a backup: left alone")
    backup.backup(db, folder, keep=3, clock=lambda: start + timedelta(days=5))
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.txt", "station-20261104T033000Z.db", "station-20261105T033000Z.db", "station-20261106T033000Z.db"]


def test_keep_refuses_zero_and_a_file_destination(config_path: Path, tmp_path: Path):
    store.open_store(config_path.parent / "station.db").close()
    zero = vstation("--config", str(config_path), "backup", str(tmp_path), "--keep", "0")
    assert zero.returncode == 2 and "--keep 0: expected 1 or more" in zero.stderr
    file = vstation("--config", str(config_path), "backup", str(tmp_path / "x.db"), "--keep", "2")
    assert file.returncode == 2 and "--keep needs DEST to be a folder" in file.stderr
