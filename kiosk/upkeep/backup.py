"""`vstation backup` / `vstation restore`: copies of the station database taken while it runs.

A backup uses SQLite's online backup API in ONE step: the copy is a single
read transaction, so it is the database as of one commit, while the kiosk and
sync keep writing (WAL readers never block writers; a step-wise copy would
restart on every write and might never finish). The copy is checked and
written beside its final name, then renamed, so a half-written backup never
carries a backup's name.

A restore refuses a copy that fails `integrity_check`, refuses while the
kiosk or sync holds the database, keeps the current database aside first,
and writes the copy through SQLite (never by moving files under a live WAL).
The restored database then begins a new epoch (docs/mqtt.md, "Epoch"):
larger than both the replaced one's and the copy's, so the district can tell
that the station's history was rewound and no seq it acknowledged passes for
a new event.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..base import outbox, store
from ..base.clock import Clock, utc_now
from ..base.errors import AlreadyRunning, StoreError

NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6}Z)(-\d+)?\.db$")


class BackupError(StoreError):
    """A backup or restore was refused or failed; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    pages: int
    removed: tuple[Path, ...] = ()


def backup(db_path: Path, dest: Path, *, keep: int | None = None, clock: Clock = utc_now) -> BackupResult:
    """Copy the live database to `dest` (a folder gets a dated file); keep the newest `keep` there."""
    if not db_path.exists():
        raise BackupError(f"database {db_path}: not found; nothing to back up")
    if keep is not None and keep < 1:
        raise BackupError(f"--keep {keep}: expected 1 or more")
    target = _target(db_path, dest, clock())
    if keep is not None and target.parent != dest:
        raise BackupError("--keep needs DEST to be a folder: it removes older dated backups there")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        src = store.connect(db_path)
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(dst)                       # pages=-1: one step, one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
                _check(dst, "the new backup")
                pages = dst.execute("PRAGMA page_count").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except (OSError, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup to {target}: {exc}") from None
    removed = _rotate(dest, db_path.stem, keep) if keep is not None else ()
    return BackupResult(target, pages, removed)


def restore(src: Path, db_path: Path, *, clock: Clock = utc_now) -> Path | None:
    """Replace the station database with the backup `src`; return where the previous one was kept."""
    if not src.is_file():
        raise BackupError(f"{src}: no such backup file; nothing changed")
    try:
        copy = sqlite3.connect(f"file:{src}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"{src}: cannot be opened ({exc}); nothing changed") from None
    try:
        _check(copy, str(src))
        version = copy.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= version <= len(store.migrations()):
            raise BackupError(f"{src}: schema version {version} is not one this vstation knows "
                              f"(1–{len(store.migrations())}); nothing changed")
        locks = [store.InstanceLock(db_path, "kiosk"), store.InstanceLock(db_path, "sync")]
        try:
            for lock in locks:
                lock.acquire()
        except AlreadyRunning as exc:
            for lock in locks:
                lock.release()
            raise BackupError(f"{exc}: stop it first (sudo systemctl stop vstation-kiosk vstation-sync); "
                              "nothing changed") from None
        try:
            aside, replaced_epoch = None, 0
            if db_path.exists():
                aside = backup(db_path, db_path.with_name(
                    f"{db_path.stem}.before-restore-{clock():%Y%m%dT%H%M%S%fZ}.db")).path
                replaced_epoch = _epoch_of(db_path)
            live = store.connect(db_path)
            try:
                copy.backup(live)
                _check(live, str(db_path))
                store.migrate(live)                  # a copy from before epochs gets one first
                outbox.begin_epoch(live, after=replaced_epoch, now_ms=int(clock().timestamp() * 1000))
            finally:
                live.close()
            return aside
        finally:
            for lock in locks:
                lock.release()
    except sqlite3.Error as exc:
        raise BackupError(f"restore of {src}: {exc}") from None
    finally:
        copy.close()


def _epoch_of(db_path: Path) -> int:
    """The epoch of the database about to be replaced (0 if it is older than epochs or unreadable)."""
    try:
        conn = store.open_store(db_path)
    except StoreError:
        return 0
    try:
        return outbox.current_epoch(conn).epoch
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, what: str) -> None:
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what}: not a sound SQLite database ({exc}); nothing changed") from None
    if rows != ["ok"]:
        raise BackupError(f"{what}: integrity_check failed ({'; '.join(rows[:3])}); nothing changed")


def _target(db_path: Path, dest: Path, now: datetime) -> Path:
    if not dest.is_dir() and dest.suffix == ".db":
        return dest
    base = f"{db_path.stem}-{now:%Y%m%dT%H%M%SZ}"
    target, n = dest / f"{base}.db", 1
    while target.exists():
        target, n = dest / f"{base}-{n}.db", n + 1
    return target


def _rotate(folder: Path, stem: str, keep: int) -> tuple[Path, ...]:
    """Remove all but the newest `keep` dated backups of `stem` in `folder` (names sort by time)."""
    dated = sorted((p for p in folder.iterdir() if (m := NAME.match(p.name)) and m["stem"] == stem),
                   key=lambda p: (NAME.match(p.name)["stamp"], p.stat().st_mtime_ns))
    old = dated[:-keep]
    for p in old:
        p.unlink()
    return tuple(old)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
