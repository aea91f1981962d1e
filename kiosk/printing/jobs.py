"""Print jobs as records: queued, being sent, printed or failed, each sent at most once by itself.

A job is claimed (`queued` → `sending`) in its own transaction before a byte
goes to the printer, and finished after the printer answered. So a kiosk
killed while sending leaves a `sending` row, which the next kiosk marks
failed as `interrupted` instead of sending it again: the slip may or may not
be on paper, and only a person can tell. A job still queued when it is too
old to matter (the resident has gone) fails as `stale`, so a refilled
printer never prints yesterday's tickets. Reprints are new jobs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from ..base import store
from ..base.clock import rfc3339
from ..base.errors import NotInTransaction, Refusal

#: A job not started this long after it was asked for is no longer sent: the resident has gone.
STALE_AFTER = timedelta(minutes=2)
#: Finished jobs (and their bytes) are kept this long, for reprints and the staff's list.
KEEP_FOR = timedelta(days=2)
WHATS = ("ticket", "receipt", "help_request", "report", "test_page")


class JobState(str, Enum):
    QUEUED = "queued"
    SENDING = "sending"
    PRINTED = "printed"
    FAILED = "failed"


class PrintRefusal(Refusal):
    """A print job that cannot be reprinted (unknown, or not finished yet)."""


@dataclass(frozen=True)
class Job:
    id: int
    what: str
    ref: str | None
    state: JobState
    fault: str | None
    printer_state: str | None
    reprint_of: int | None
    by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    size: int

    @property
    def done(self) -> bool:
        """Printed or failed: nothing more will happen to it by itself."""
        return self.state in (JobState.PRINTED, JobState.FAILED)


_COLUMNS = ("id, what, ref, state, fault, printer_state, reprint_of, by, created_at, started_at, finished_at, "
            "length(data)")


def _job(row: sqlite3.Row | tuple) -> Job:
    values = list(row)
    values[3] = JobState(values[3])
    return Job(*values)


def add(conn: sqlite3.Connection, what: str, ref: str | None, data: bytes, now: datetime, *,
        reprint_of: int | None = None, by: str | None = None) -> Job:
    """Queue a slip's bytes (the caller may hold a transaction: the job commits with the record it prints)."""
    if what not in WHATS:
        raise ValueError(f"unknown slip {what!r}; expected one of {WHATS}")
    row = conn.execute(f"INSERT INTO print_jobs (what, ref, data, reprint_of, by, created_at) "
                       f"VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                       (what, ref, bytes(data), reprint_of, by, rfc3339(now))).fetchone()
    return _job(row)


def get(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def latest_for(conn: sqlite3.Connection, ref: str) -> Job | None:
    """The newest job that prints record `ref` (a reprint, if there was one)."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE ref = ? ORDER BY id DESC LIMIT 1",
                       (ref,)).fetchone()
    return _job(row) if row else None


def recent(conn: sqlite3.Connection, limit: int = 20) -> list[Job]:
    """The newest jobs first, for the staff's list."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM print_jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_job(r) for r in rows]


def data_of(conn: sqlite3.Connection, job_id: int) -> bytes:
    row = conn.execute("SELECT data FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    return bytes(row[0]) if row else b""


def claim(conn: sqlite3.Connection, now: datetime) -> Job | None:
    """Take the oldest queued job to send (now `sending`), in its own transaction; None when none waits."""
    with store.transaction(conn):
        row = conn.execute(
            f"UPDATE print_jobs SET state = 'sending', started_at = ? WHERE id = "
            f"(SELECT id FROM print_jobs WHERE state = 'queued' ORDER BY id LIMIT 1) RETURNING {_COLUMNS}",
            (rfc3339(now),)).fetchone()
    return _job(row) if row else None


def overdue(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Ids of the queued jobs that waited too long to be worth printing (see `fail`)."""
    return [r[0] for r in conn.execute("SELECT id FROM print_jobs WHERE state = 'queued' AND created_at < ? "
                                       "ORDER BY id", (rfc3339(now - STALE_AFTER),))]


def left_sending(conn: sqlite3.Connection) -> list[int]:
    """Ids of the jobs a killed kiosk left `sending`: their slip may be half on paper (see `fail`)."""
    return [r[0] for r in conn.execute("SELECT id FROM print_jobs WHERE state = 'sending' ORDER BY id")]


def fail(conn: sqlite3.Connection, job_ids: list[int], fault: str, now: datetime, *,
         from_state: JobState) -> list[Job]:
    """Fail these jobs, if still in `from_state`, inside the caller's transaction (with their events)."""
    if not conn.in_transaction:
        raise NotInTransaction("print jobs fail in the transaction that reports them")
    failed = []
    for job_id in job_ids:
        row = conn.execute(f"UPDATE print_jobs SET state = 'failed', fault = ?, finished_at = ? "
                           f"WHERE id = ? AND state = ? RETURNING {_COLUMNS}",
                           (fault, rfc3339(now), job_id, from_state.value)).fetchone()
        if row:
            failed.append(_job(row))
    return failed


def finish(conn: sqlite3.Connection, job_id: int, now: datetime, *, printer_state: str,
           fault: str | None = None) -> Job:
    """Record how a job being sent ended: printed, or failed with its fault."""
    state = JobState.FAILED if fault else JobState.PRINTED
    row = conn.execute(f"UPDATE print_jobs SET state = ?, fault = ?, printer_state = ?, finished_at = ? "
                       f"WHERE id = ? RETURNING {_COLUMNS}",
                       (state.value, fault, printer_state, rfc3339(now), job_id)).fetchone()
    return _job(row)


def reprint(conn: sqlite3.Connection, job_id: int, now: datetime, *, by: str) -> Job:
    """Queue a finished job's bytes again, on purpose, naming who asked."""
    with store.transaction(conn):
        old = get(conn, job_id)
        if old is None:
            raise PrintRefusal("no_such_job", f"there is no print job {job_id}", status=404)
        if not old.done:
            raise PrintRefusal("not_finished", f"print job {job_id} is still {old.state.value}")
        return add(conn, old.what, old.ref, data_of(conn, job_id), now, reprint_of=old.id, by=by)


def prune(conn: sqlite3.Connection, now: datetime) -> int:
    """Forget finished jobs older than KEEP_FOR; how many went."""
    with store.transaction(conn):
        conn.execute("UPDATE print_jobs SET reprint_of = NULL WHERE reprint_of IN "
                     "(SELECT id FROM print_jobs WHERE state IN ('printed', 'failed') AND created_at < ?)",
                     (rfc3339(now - KEEP_FOR),))
        return conn.execute("DELETE FROM print_jobs WHERE state IN ('printed', 'failed') AND created_at < ?",
                            (rfc3339(now - KEEP_FOR),)).rowcount
