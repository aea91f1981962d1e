"""The print spooler's rules: a slip becomes a job at once, one worker sends the jobs to the printer in order.

`submit` composes the slip to its bytes (the printer's `job(send=…)` hands
them to us instead of to the wire) and queues them in `print_jobs`; the
caller answers the resident straight away. The worker (`PrintWorker`,
started by the station) sends one job at a time and records how it ended.
A failed job writes `printer.fault`, records the printer's state for
telemetry, and is never sent again by itself. Every change of a job is a
`print` notice, so an open screen shows queued → printing → printed or the
fault.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Callable

from ..base import device_state, outbox, store
from ..base.bus import Bus
from ..base.clock import Clock, utc_now
from ..base.ports import Printer, PrintJob, state_word
from . import jobs
from .jobs import Job, JobState

log = logging.getLogger(__name__)
POLL_S = 5.0                         # the worker also looks this often, should a wake-up be missed
FAULT_STATES = ("paper_out", "offline")


def notice_data(job: Job) -> dict[str, object]:
    """What a screen needs to show a job's progress."""
    return {"job_id": job.id, "what": job.what, "ref": job.ref, "state": job.state.value, "fault": job.fault}


def print_status(job: Job | None) -> dict[str, object] | None:
    """A job's progress for a screen, or None for a record that has no job (it was never sent)."""
    return notice_data(job) if job else None


class Spooler:
    """Jobs for one printer: queue them (any thread), send them (the worker's thread)."""

    def __init__(self, printer: Printer, bus: Bus, *, clock: Clock = utc_now,
                 on_finished: Callable[[sqlite3.Connection, Job], None] | None = None) -> None:
        self.printer = printer
        self.bus = bus
        self.clock = clock
        self._on_finished = on_finished or (lambda conn, job: None)
        self._wake = threading.Event()

    # -- any thread ----------------------------------------------------------------
    def compose(self, compose: Callable[[PrintJob], None]) -> bytes:
        """Build a slip's bytes without sending them."""
        built: list[bytes] = []
        with self.printer.job(send=built.append) as job:
            compose(job)
        return built[0]

    def submit(self, conn: sqlite3.Connection, compose: Callable[[PrintJob], None], *, what: str,
               ref: str | None = None, by: str | None = None, reprint_of: int | None = None) -> Job:
        """Compose a slip and queue it; the worker sends it. Returns the queued job. `by` names the staff
        member who asked for it again on purpose (a fresh slip for the same record, after `reprint_of`)."""
        data = self.compose(compose)
        with store.transaction(conn):
            job = jobs.add(conn, what, ref, data, self.clock(), reprint_of=reprint_of, by=by)
        self._queued(job)
        return job

    def reprint(self, conn: sqlite3.Connection, job_id: int, *, by: str) -> Job:
        """Staff send a finished job again, on purpose (PrintRefusal if it is unknown or not finished)."""
        job = jobs.reprint(conn, job_id, self.clock(), by=by)
        log.info("print job %d: reprint of %d (%s) asked by %s", job.id, job_id, job.what, by)
        self._queued(job)
        return job

    def _queued(self, job: Job) -> None:
        self.bus.publish("print", **notice_data(job))
        self._wake.set()

    # -- the worker's thread -------------------------------------------------------------
    def recover(self, conn: sqlite3.Connection) -> list[Job]:
        """At start: what a killed kiosk was sending is reported as interrupted, never resent."""
        cut_off = self._fail(conn, jobs.left_sending(conn), "interrupted", JobState.SENDING)
        for job in cut_off:
            log.warning("print job %d (%s %s) was being sent when the kiosk stopped: not sent again",
                        job.id, job.what, job.ref or "")
        return cut_off

    def run_next(self, conn: sqlite3.Connection) -> Job | None:
        """Send the oldest queued job, if any, and return it as it ended."""
        for old in self._fail(conn, jobs.overdue(conn, self.clock()), "stale", JobState.QUEUED):
            log.warning("print job %d (%s) waited too long: not printed", old.id, old.what)
        job = jobs.claim(conn, self.clock())
        if job is None:
            return None
        self.bus.publish("print", **notice_data(job))
        try:
            after = state_word(self.printer.send(jobs.data_of(conn, job.id)))
        except OSError as exc:        # driver errors subclass OSError: paper out, offline, …
            state = state_word(self.printer.state())
            log.warning("print job %d (%s) failed: printer %s (%s)", job.id, job.what, state, exc)
            fault = state if state in FAULT_STATES else "error"
            device_state.record(conn, "printer", state, {"error": type(exc).__name__, "job": job.id})
            with store.transaction(conn):     # the job's end and its printer.fault, together
                job = jobs.finish(conn, job.id, self.clock(), printer_state=state, fault=fault)
                self._fault_event(conn, job, state, type(exc).__name__)
            self._tell(job, state)
            return job
        device_state.record(conn, "printer", after, {"job": job.id})   # telemetry knows before the job ends
        with store.transaction(conn):         # the job's end and what it printed (a ticket marked printed)
            job = jobs.finish(conn, job.id, self.clock(), printer_state=after)
            self._hook(conn, job)
        self.bus.publish("print", **notice_data(job))
        return job

    def _fail(self, conn: sqlite3.Connection, job_ids: list[int], error: str, from_state: JobState) -> list[Job]:
        """Fail jobs that will not be sent (stale, interrupted): each with its `printer.fault` in one transaction,
        then telemetry and the screens. The printer is asked before the write lock is taken."""
        if not job_ids:
            return []
        state = state_word(self.printer.state())
        with store.transaction(conn):
            failed = jobs.fail(conn, job_ids, error, self.clock(), from_state=from_state)
            for job in failed:
                self._fault_event(conn, job, job.printer_state or state, error)
        for job in failed:
            device_state.record(conn, "printer", job.printer_state or state, {"error": error, "job": job.id})
            self._tell(job, job.printer_state or state)
        return failed

    def _fault_event(self, conn: sqlite3.Connection, job: Job, state: str, error: str) -> None:
        outbox.append(conn, "printer.fault", {"state": state, "slip": job.what, "error": error, "job_id": job.id,
                                              "fault": job.fault})
        self._hook(conn, job)

    def _tell(self, job: Job, state: str) -> None:
        """The screens: staff what to do, the slip's own screen its end."""
        self.bus.publish("printer", state=state, slip=job.what)
        self.bus.publish("print", **notice_data(job))

    def _hook(self, conn: sqlite3.Connection, job: Job) -> None:
        """The caller's step after a job ended, inside the transaction that ends it."""
        try:
            self._on_finished(conn, job)
        except Exception:   # the job's outcome is recorded; a listener's bug must not stop the worker
            log.exception("print job %d: after-print step failed", job.id)

    def wait_for_work(self, timeout: float = POLL_S) -> None:
        """Sleep until a job is queued (or `timeout`)."""
        self._wake.wait(timeout)
        self._wake.clear()

    def wake(self) -> None:
        self._wake.set()


class PrintWorker:
    """The kiosk's one thread that sends print jobs, oldest first, until stopped."""

    def __init__(self, spooler: Spooler, connect: Callable[[], sqlite3.Connection]) -> None:
        self._spooler = spooler
        self._connect = connect
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> PrintWorker:
        self._thread = threading.Thread(target=self._loop, name="print-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop after the job being sent (a slip is never cut off on purpose)."""
        self._stopping.set()
        self._spooler.wake()
        if self._thread:
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        conn = self._connect()
        try:
            self._spooler.recover(conn)
        except Exception:
            log.exception("print jobs: interrupted jobs not closed")
        while not self._stopping.is_set():
            try:
                if self._spooler.run_next(conn) is not None:
                    continue
            except Exception:  # keep going; the next round tries again
                log.exception("print jobs: sending failed")
            self._spooler.wait_for_work()
