"""The station's paper desk: slips queued for the print worker, waited for by staff, listed and reprinted.

The station hands every slip here (`submit`) and answers the resident at
once; staff slips (the test page, the day report) are waited for, since
staff want to know whether the printer works. The web face lists the jobs
and reprints one on purpose.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Callable

from ..base.bus import Bus
from ..base.clock import Clock
from ..base.ports import Printer, PrintJob
from ..base.printing import PrinterWatch
from . import jobs
from .jobs import Job, JobState
from .spooler import PrintWorker, Spooler

#: A staff slip (test page, report) is waited for this long.
STAFF_WAIT_S = 60.0
#: A record asked for again waits this long for the slip its first request is still composing.
COMPOSING_WAIT_S = 5.0


class PrintDesk:
    """One printer's jobs: queue, wait, list, reprint; and the worker that sends them."""

    PRUNE_S = 3600.0    # finished jobs past their keeping time are forgotten this often (a chore)

    def __init__(self, printer: Printer, bus: Bus, connect: Callable[[], sqlite3.Connection], *, clock: Clock,
                 watch: PrinterWatch | None = None,
                 when_printed: dict[str, Callable[[sqlite3.Connection, str], None]] | None = None) -> None:
        """`watch` hears the printer's state after a failed job; `when_printed[what](conn, ref)` runs
        once a job of that kind printed (the station marks a ticket printed)."""
        self.spooler = Spooler(printer, bus, clock=clock, on_finished=self._finished)
        self._watch = watch
        self._when_printed = when_printed or {}
        self._connect = connect
        self._clock = clock
        self._worker = PrintWorker(self.spooler, connect)
        self._stopping = threading.Event()

    def _finished(self, conn: sqlite3.Connection, job: Job) -> None:
        """The worker's word on a job, inside the transaction that ends it: its record is told it printed,
        or the watch hears the printer's state (nothing here may ask the printer: the write lock is held)."""
        if job.state is JobState.PRINTED and job.ref and job.what in self._when_printed:
            self._when_printed[job.what](conn, job.ref)
        elif job.state is JobState.FAILED and self._watch is not None:   # the failed slip told the screens
            self._watch.seen(job.printer_state or "unknown", announce=False)    # unknown: the last state stands

    def start(self) -> None:
        """Start the worker: it first reports what a killed kiosk was printing, then sends the queue."""
        self._worker.start()

    def stop(self) -> None:
        self._stopping.set()
        self._worker.stop()

    def submit(self, compose: Callable[[PrintJob], None], *, what: str, ref: str | None = None,
               by: str | None = None, reprint_of: int | None = None) -> Job:
        """Queue a slip and return its job at once (`by`, `reprint_of`: a fresh slip staff asked for again)."""
        return self.spooler.submit(self._connect(), compose, what=what, ref=ref, by=by, reprint_of=reprint_of)

    def submit_and_wait(self, compose: Callable[[PrintJob], None], *, what: str,
                        timeout: float = STAFF_WAIT_S) -> bool:
        """Queue a slip and wait until it printed (True) or failed or took too long (False)."""
        job: Job | None = self.submit(compose, what=what)
        conn, deadline = self._connect(), time.monotonic() + timeout
        while job is not None and not job.done and time.monotonic() < deadline and not self._stopping.is_set():
            self._stopping.wait(0.05)
            job = jobs.get(conn, job.id)
        return job is not None and job.state is JobState.PRINTED

    def job(self, job_id: int) -> Job | None:
        return jobs.get(self._connect(), job_id)

    def latest_for(self, ref: str) -> Job | None:
        """The newest job that prints record `ref` (a ticket, a redemption, a help request)."""
        return jobs.latest_for(self._connect(), ref)

    def job_of(self, ref: str, timeout: float = COMPOSING_WAIT_S) -> Job | None:
        """The job of a record asked for again with its key (a double tap, an API retry). The record is
        committed before its slip is composed and queued, so the first request may still be composing it:
        wait for the job up to `timeout`; None only if none came (that slip could not be made)."""
        conn, deadline = self._connect(), time.monotonic() + timeout
        while (job := jobs.latest_for(conn, ref)) is None and time.monotonic() < deadline \
                and not self._stopping.is_set():
            self._stopping.wait(0.02)
        return job

    def recent(self, limit: int = 20) -> list[Job]:
        return jobs.recent(self._connect(), limit)

    def reprint(self, job_id: int, *, by: str) -> Job:
        """Print a finished job again, on purpose (PrintRefusal if unknown or not finished)."""
        return self.spooler.reprint(self._connect(), job_id, by=by)

    def prune(self) -> int:
        return jobs.prune(self._connect(), self._clock())
