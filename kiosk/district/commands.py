"""District commands the kiosk process runs (it alone holds the hardware): executors by name.

The sync process verifies and queues a command in the inbox (inbox.py); the
`Commander` here, started by the kiosk's runner, looks about twice a second,
claims each one meant for the kiosk, runs its executor and records the result
with its `command.result` event. An executor takes the station (anything that
has the use cases of `Target`) and the command's already validated args and
returns (status, result): status "done" or "failed", result a small JSON
object; a `Refusal` it raises is a "failed" result whose outcome is the
refusal's code. A new kiosk command registers here with `@executor("name")`,
its args schema goes into sync/schemas.py COMMAND_ARGS and its place into
sync/commands.py RUNS_IN (see the README, District sync).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any, Callable, Protocol

from ..base import store
from ..base.errors import Refusal
from ..help.desk import HelpRequest
from ..tickets.ticket import Ticket
from . import inbox

log = logging.getLogger(__name__)
POLL_S = 0.5                          # how often the kiosk looks for district commands in the inbox
BY = "district"                       # who the records name as the author of a remote command


class Target(Protocol):
    """The station's use cases that district commands call (kiosk/station.py has them)."""

    def db(self) -> sqlite3.Connection: ...
    def open_door(self, slot_id: str, *, reason: str, by: str) -> str: ...
    def print_test_page(self) -> bool: ...
    def printer_state(self) -> str: ...
    def end_queue_day(self, *, by: str) -> list[Ticket]: ...
    def dispatch_request(self, request_id: str, member_id: str, points: int, note: str = "") -> HelpRequest: ...


Executor = Callable[[Target, dict[str, Any]], tuple[str, dict[str, Any]]]
EXECUTORS: dict[str, Executor] = {}


def executor(name: str) -> Callable[[Executor], Executor]:
    """Register the kiosk's executor of command `name`."""
    def register(fn: Executor) -> Executor:
        EXECUTORS[name] = fn
        return fn
    return register


@executor("locker.open")
def locker_open(station: Target, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Open one locker door (Station.open_door records `locker.opened` with who and why)."""
    try:
        word = station.open_door(args["slot"], reason=args["reason"], by=BY)
    except Refusal as exc:              # no such slot, or busy
        word = exc.code
    return ("done" if word == "opened" else "failed"), {"slot": args["slot"], "outcome": word}


@executor("printer.test")
def printer_test(station: Target, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Print the staff's test page; a failure is also a `printer.fault` event."""
    printed = station.print_test_page()
    return ("done" if printed else "failed"), {"printed": printed, "printer": station.printer_state(),
                                               "outcome": "printed" if printed else "not_printed"}


@executor("queue.reset_day")
def queue_reset_day(station: Target, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """End today's waiting tickets (each stays recorded as cancelled, with its event)."""
    ended = station.end_queue_day(by=BY)
    return "done", {"ended": len(ended), "numbers": [t.number for t in ended]}


@executor("request.dispatch")
def request_dispatch(station: Target, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Give a resident's help request to a member (HelpDesk.dispatch writes `request.dispatched`)."""
    try:
        req = station.dispatch_request(args["request_id"], args["member_id"], args["points"], args.get("note", ""))
    except Refusal as exc:        # unknown request or member, already accepted or done
        return "failed", {"request_id": args["request_id"], "outcome": exc.code}
    return "done", {"request_id": req.id, "number": req.number, "member_id": req.member_id, "state": req.state,
                    "outcome": "dispatched" if req.new else "unchanged"}


def run_pending(station: Target) -> int:
    """Run every command waiting for the kiosk, oldest first; how many ran."""
    conn, count = station.db(), 0
    while (command := inbox.claim(conn, "kiosk")) is not None:
        count += 1
        run = EXECUTORS.get(command.name)
        try:
            if run is None:
                status, result, reason = "failed", {}, f"the kiosk has no executor for {command.name}"
                code = "no_executor"
            else:
                status, result = run(station, command.args)
                code = None if status == "done" else str(result.get("outcome", "error"))
                reason = code
        except Exception as exc:          # an executor's bug or a driver error: reported, not retried
            log.exception("district command %s (%s) failed", command.id, command.name)
            status, result, reason, code = "failed", {}, f"{type(exc).__name__}: {exc}"[:300], "error"
        inbox.finish(conn, command, status, result, reason=reason, code=code)
        log.info("district command %s (%s): %s", command.id, command.name, status)
    return count


class Commander:
    """The kiosk's thread that runs district commands from the inbox until stopped."""

    def __init__(self, station: Target, *, poll_s: float = POLL_S) -> None:
        self._station = station
        self._poll_s = poll_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Commander:
        """Close what a killed kiosk left running, then poll in a thread of its own."""
        self._thread = threading.Thread(target=self._loop, name="district-commands", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        try:
            inbox.interrupted(self._station.db(), "kiosk")
        except Exception:
            log.exception("inbox: interrupted commands not closed")
        while not self._stopping.wait(self._poll_s):
            try:
                run_pending(self._station)
            except Exception as exc:  # keep polling; the next round tries again
                if store.is_busy(exc):   # another process holds the write lock; the commands wait in the inbox
                    log.warning("inbox: the database is busy; district commands wait for the next round")
                else:
                    log.exception("inbox: running district commands failed")
