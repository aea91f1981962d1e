"""The station database: one SQLite file in WAL mode, shared by kiosk and sync.

Connections run in autocommit (`isolation_level=None`) so that every write that
moves points, stock or a loan is wrapped explicitly in `BEGIN IMMEDIATE`; the
default sqlite3 handling would check a balance outside the transaction
(docs/architecture.md, Facts that bite). Schema changes are numbered SQL files tracked by `user_version`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from .errors import AlreadyRunning, StoreError

BUSY_TIMEOUT_S = 10.0      # a write waits this long for another process's write lock, then fails "locked"


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the station database with the pragmas every connection needs."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        mode = _wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"database {path}: cannot be opened for writing ({exc})") from None
    if mode != "wal":
        conn.close()
        raise StoreError(f"database {path}: cannot switch to WAL mode (got {mode!r}); "
                         "is it on a network or read-only file system?")
    return conn


def _wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL once; a database already in WAL is left alone.

    Setting the mode needs a lock that SQLite may refuse at once ("database is
    locked") while another process opens or checkpoints the same file — the busy
    timeout does not cover it — so only a database not yet in WAL asks, a few times.
    """
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    for attempt in range(20):
        if mode == "wal":
            return mode
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 19:
                raise
            time.sleep(0.05)
    return mode


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one `BEGIN IMMEDIATE` transaction: all of it, or none of it.

    IMMEDIATE takes the write lock at the start, so a check made inside the
    block (a balance, a stock count) still holds when the block writes.
    """
    if conn.in_transaction:
        raise StoreError("a transaction is already open on this connection")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def is_busy(exc: BaseException) -> bool:
    """Did this error come from another connection holding the database past the busy timeout?"""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def can_write(conn: sqlite3.Connection, *, wait_s: float = 0.5) -> bool:
    """Could a write transaction start within `wait_s`? False while another process holds the write lock.

    Takes the write lock and gives it straight back (nothing is written); a connection inside
    its own transaction already holds it.
    """
    if conn.in_transaction:
        return True
    conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def migrations() -> list[tuple[int, str, str]]:
    """The numbered schema steps shipped with the package, in order."""
    steps = []
    for entry in resources.files("kiosk.base").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            steps.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    steps.sort()
    if [n for n, _, _ in steps] != list(range(1, len(steps) + 1)):
        raise StoreError("migrations are not numbered 0001, 0002, … without gaps")
    return steps


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, *, upto: int | None = None) -> int:
    """Bring the schema up to date (or to `upto`); return the version reached.

    Each step runs in its own transaction with its version bump, and the
    version is read again under the write lock, so the kiosk and sync starting
    together never apply a step twice.
    """
    steps = migrations()
    latest = len(steps) if upto is None else upto
    for number, name, sql in steps[:latest]:
        with transaction(conn):
            current = schema_version(conn)
            if current > len(steps):
                raise StoreError(f"database schema is version {current}, this vstation knows only up "
                                 f"to {len(steps)}: install the newer vstation that wrote it")
            if current >= number:
                continue
            try:
                for statement in _statements(sql):
                    conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(f"migration {name} failed: {exc}") from None
            conn.execute(f"PRAGMA user_version = {number}")
    return schema_version(conn)


def open_store(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Connect and migrate: what every process does before its first query."""
    conn = connect(path)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _statements(sql: str) -> Iterator[str]:
    """Split a migration file into complete SQL statements."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise StoreError(f"migration ends with an incomplete statement: {buffer.strip()[:60]!r}")


class InstanceLock:
    """Keeps a second kiosk (or sync) process off the same database.

    The lock is an advisory `flock` on a file beside the database; the kernel
    drops it when the process dies, so a crash never leaves a stale lock.
    """

    def __init__(self, db_path: str | os.PathLike[str], role: str) -> None:
        self.db_path = Path(db_path)
        self.path = Path(f"{db_path}.{role}.lock")
        self.role = role
        self._fd: int | None = None

    def acquire(self) -> "InstanceLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"database {self.db_path}: cannot be opened for writing "
                             f"(its lock file: {exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(f"another vstation {self.role} (pid {holder}) is already running "
                                 f"on this database ({self.path.parent})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "InstanceLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
