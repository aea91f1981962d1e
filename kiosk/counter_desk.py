"""The counter's use cases: what staff do at a counter, from the residents' screen, a paired device or a
call button, and what the counter console shows.

A part of the running station (kiosk/station.py builds one and hands it its queue, database, bus and
print desk), split out so that each file keeps one job. Every action goes through the queue's rules
(kiosk/tickets/), which write the event in the same transaction; here calls are announced on the wall
display, every change is told to the open consoles (a `queue` notice), and a reprint goes to paper.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Callable

from .base.bus import Bus
from .base.clock import Clock, rfc3339
from .config.offer import Service
from .printing.desk import PrintDesk
from .printing.jobs import Job
from .tickets import counters
from .tickets.buttons import button_press
from .tickets.calling import Queue
from .tickets.slips import ticket_slip
from .tickets.stats import Waiting, no_shows, waiting_list
from .tickets.ticket import QueueError, Ticket

log = logging.getLogger(__name__)
COUNTER_ACTIONS = ("call_next", "call_number", "recall", "start", "done", "no_show", "transfer", "requeue")


@dataclass(frozen=True)
class ServiceLine:
    """One service's waiting list on a counter's console; `own`: this counter calls it."""
    service: Service
    own: bool
    waiting: list[Waiting]


@dataclass(frozen=True)
class CounterView:
    """Everything a counter's console shows now."""
    counter: str
    status: counters.CounterStatus
    current: Ticket | None
    lines: list[ServiceLine]          # this counter's services first, then the others
    no_shows: list[Ticket]            # today's no-shows of this counter's services (they may come back)

    @property
    def in_service(self) -> bool:
        return self.current is not None


class CounterDesk:
    """The counters' use cases over the station's parts (passed in: the station composes this)."""

    def __init__(self, *, queue: Callable[[], Queue], db: Callable[[], sqlite3.Connection], bus: Bus,
                 printing: PrintDesk, clock: Clock) -> None:
        self._queue, self._db, self.bus, self.printing, self.clock = queue, db, bus, printing, clock

    def view(self, counter: str) -> CounterView:
        """The console of one counter: its state, the number at it, every service's waiting list."""
        q, conn = self._queue(), self._db()
        own = q.services_of(counter)
        day, now = q.today(), self.clock()
        others = [s for s in q.config.services if s not in own]
        lines = [ServiceLine(s, s in own, waiting_list(conn, day, s.id, now)) for s in own + others]
        return CounterView(counter, counters.status(conn, counter), q.at_counter(conn, counter), lines,
                           no_shows(conn, day, [s.id for s in own]))

    def action(self, action: str, counter: str, *, staff_id: str, ticket_id: str | None = None,
               to_service: str | None = None, number: str | None = None) -> Ticket:
        """A staff action at a counter (COUNTER_ACTIONS); calls are announced on the display."""
        conn, q = self._db(), self._queue()
        if action == "call_next":
            ticket = q.call_next(conn, counter, staff_id=staff_id)
        elif action == "call_number":
            ticket = q.call_number(conn, counter, number or ticket_id or "", staff_id=staff_id)
        elif action == "transfer":
            ticket = q.transfer(conn, ticket_id or "", counter, to_service or "", staff_id=staff_id)
        elif action == "requeue":
            q.services_of(counter)
            ticket = q.requeue(conn, ticket_id or number or "", staff_id=staff_id)
        elif action in ("recall", "start", "done", "no_show"):
            ticket = getattr(q, action)(conn, ticket_id or "", counter, staff_id=staff_id)
        else:
            raise ValueError(f"unknown counter action {action!r}")
        if action in ("call_next", "call_number", "recall"):
            self.bus.publish("call", ticket_id=ticket.id, number=ticket.number, counter=counter)
        self.bus.publish("queue", service=ticket.service, counter=counter)
        return ticket

    def set_state(self, counter: str, state: str, *, staff_id: str) -> counters.CounterStatus:
        """Open, pause or close a counter; the consoles hear of it."""
        changed = self._queue().set_counter(self._db(), counter, state, staff_id=staff_id)
        self.bus.publish("queue", service="", counter=counter)
        return changed

    def reprint(self, ref: str, *, staff_id: str) -> tuple[Ticket, Job]:
        """Print an open ticket again, on purpose by staff: a fresh slip (its place now) marked 补打, in the
        language it was taken in, queued for the print worker as a reprint by `staff_id` of the ticket's last
        job; `ticket.reprinted`."""
        conn, q = self._db(), self._queue()
        ticket = q.for_reprint(conn, ref)
        slip = ticket_slip(q.config, q.describe(conn, ticket), ticket.language, reprinted_at=rfc3339(self.clock()))
        before = self.printing.latest_for(ticket.id)
        job = self.printing.submit(slip, what="ticket", ref=ticket.id, by=staff_id,
                                   reprint_of=before.id if before else None)
        q.record_reprint(conn, ticket, staff_id=staff_id, print_job=job.id)
        return ticket, job

    def button_pressed(self, counter: str, button: str) -> None:
        """A counter's call button (driver thread): next, recall or done, recorded as by "button:<counter>"."""
        try:
            action, ticket_id = button_press(self._queue(), self._db(), counter, button)
            self.action(action, counter, staff_id=f"button:{counter}", ticket_id=ticket_id)
        except QueueError as exc:           # nobody waiting, nothing called, paused: the press changes nothing
            log.info("counter %s button %s: %s", counter, button, exc.code)
