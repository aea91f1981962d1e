"""District commands the kiosk process runs (it alone holds the hardware): executors by name.

The sync process verifies and queues a command in the inbox (kiosk/inbox.py);
`run_pending` here, called by the Station about twice a second, claims each
one meant for the kiosk, runs its executor and records the result with its
`command.result` event. An executor takes the Station and the command's
already validated args and returns (status, result): status "done" or
"failed", result a small JSON object. A new kiosk command registers here with
`@executor("name")`, its args schema goes into sync/schemas.py COMMAND_ARGS
and its place into sync/commands.py RUNS_IN (see the README, District sync).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from . import inbox
from .requests import RequestError
from .printing import print_slip, test_page
from .ports import state_word

if TYPE_CHECKING:
    from .station import Station

log = logging.getLogger(__name__)

Executor = Callable[["Station", dict[str, Any]], tuple[str, dict[str, Any]]]
EXECUTORS: dict[str, Executor] = {}
BY = "district"                       # who the records name as the author of a remote command


def executor(name: str) -> Callable[[Executor], Executor]:
    """Register the kiosk's executor of command `name`."""
    def register(fn: Executor) -> Executor:
        EXECUTORS[name] = fn
        return fn
    return register


@executor("locker.open")
def locker_open(station: Station, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Open one locker door (Station.open_door records `locker.opened` with who and why)."""
    word = station.open_door(args["slot"], reason=args["reason"], by=BY)
    return ("done" if word == "opened" else "failed"), {"slot": args["slot"], "outcome": word}


@executor("printer.test")
def printer_test(station: Station, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Print the staff's test page; a failure is also a `printer.fault` event."""
    printed = print_slip(station, test_page(station), what="test_page")
    return ("done" if printed else "failed"), {"printed": printed, "printer": state_word(station.printer.state())}


@executor("queue.reset_day")
def queue_reset_day(station: Station, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """End today's waiting tickets (each stays recorded as cancelled, with its event)."""
    ended = station.queue.end_day(station.db(), by=BY)
    for service in sorted({t.service for t in ended}):
        station.bus.publish("queue", service=service)
    return "done", {"ended": len(ended), "numbers": [t.number for t in ended]}


@executor("request.dispatch")
def request_dispatch(station: Station, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Give a resident's help request to a member (HelpDesk.dispatch writes `request.dispatched`)."""
    try:
        req = station.requests.dispatch(station.db(), args["request_id"], args["member_id"], args["points"],
                                        args.get("note", ""))
    except RequestError as exc:        # unknown request or member, already accepted or done
        return "failed", {"request_id": args["request_id"], "outcome": exc.code}
    return "done", {"request_id": req.id, "number": req.number, "member_id": req.member_id, "state": req.state,
                    "outcome": "dispatched" if req.new else "unchanged"}


def run_pending(station: Station) -> int:
    """Run every command waiting for the kiosk, oldest first; how many ran."""
    conn, count = station.db(), 0
    while (command := inbox.claim(conn, "kiosk")) is not None:
        count += 1
        run = EXECUTORS.get(command.name)
        try:
            if run is None:
                status, result, reason = "failed", {}, f"the kiosk has no executor for {command.name}"
            else:
                status, result = run(station, command.args)
                reason = None if status == "done" else str(result.get("outcome", "failed"))
        except Exception as exc:          # an executor's bug or a driver error: reported, not retried
            log.exception("district command %s (%s) failed", command.id, command.name)
            status, result, reason = "failed", {}, f"{type(exc).__name__}: {exc}"[:300]
        inbox.finish(conn, command, status, result, reason=reason)
        log.info("district command %s (%s): %s", command.id, command.name, status)
    return count
