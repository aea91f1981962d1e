"""The queue: taking a number, calling it to a counter, and seeing it through.

Every change and the event that reports it are one `BEGIN IMMEDIATE`
transaction. Calling rule (documented in the README): a counter calls the
waiting ticket with the earliest *calling time* among the services it serves;
a ticket's calling time is when it was taken, and a priority ticket's is
`priority_advance_minutes` earlier. So a priority resident goes ahead of
those who came up to that many minutes before them, and an ordinary ticket is
passed only by priority tickets taken within that window after it: it can
wait longer, never forever.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from ..base import outbox, store
from ..base.clock import Clock, local_day, rfc3339, utc_now
from ..config import Config
from ..config.offer import Service
from . import counters
from .opening import Hours, closed, opening_details
from .stats import estimated_wait_s, position, waiting
from .ticket import AT_COUNTER, COLUMNS, QueueError, Ticket, TicketState, from_row


@dataclass(frozen=True)
class Issued:
    ticket: Ticket
    position: int               # 1 = next to be called for this service; 0 = already called
    estimated_wait_s: int
    new: bool                   # False when a repeated request returned the same ticket

    @property
    def ahead(self) -> int:
        return max(0, self.position - 1)


@dataclass(frozen=True)
class Offered:
    """One service on the ticket screen."""
    service: Service
    waiting: int
    open: bool
    estimated_wait_s: int
    opens: dict[str, Any] | None = None     # closed: when it opens next (see opening_details)


class Queue:
    """Queue rules for one station; every method takes the caller's connection."""

    def __init__(self, config: Config, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.zone = ZoneInfo(config.station.timezone)

    # -- time -------------------------------------------------------------
    def today(self, now: datetime | None = None) -> str:
        return local_day(now or self.clock(), self.zone)

    def hours(self, service: Service | None = None) -> Hours:
        """The opening hours of a service by the calendar (None: the station's own)."""
        return Hours(self.config.queue.schedule, self.zone, service.schedule if service else None)

    def is_open(self, service: Service, now: datetime | None = None) -> bool:
        return self.hours(service).is_open(now or self.clock())

    def offered(self, conn: sqlite3.Connection) -> list[Offered]:
        """Each service as the ticket screen shows it: how many wait, whether it takes tickets (else when it
        opens next), the wait now."""
        day, now, rows = self.today(), self.clock(), []
        for service in self.config.services:
            count, hours = waiting(conn, day, service.id), self.hours(service)
            is_open = hours.is_open(now)
            rows.append(Offered(service, count, is_open, estimated_wait_s(conn, self.config, service, count),
                                None if is_open else opening_details(hours, now)))
        return rows

    # -- taking a number ---------------------------------------------------
    def service(self, service_id: Any) -> Service:
        service = self.config.service(service_id) if isinstance(service_id, str) else None
        if service is None:
            known = ", ".join(s.id for s in self.config.services)
            raise QueueError("unknown_service", f"no service {service_id!r} here; services: {known}", status=404)
        return service

    def issue(self, conn: sqlite3.Connection, service_id: str, *, priority: bool = False,
              request_key: str | None = None, language: str = "zh") -> Issued:
        """Give the next number of a service, taken by a resident reading `language`; the same `request_key`
        always gives the same ticket, and is refused (`key_reused`, 422) for another service or priority."""
        service = self.service(service_id)
        now = self.clock()
        with store.transaction(conn):
            if request_key:
                row = conn.execute(f"SELECT {COLUMNS}, drawn_from FROM tickets WHERE request_key = ?",
                                   (request_key,)).fetchone()
                if row:
                    first = from_row(row[:-1])
                    if (row[-1], first.priority) != (service.id, bool(priority)):
                        raise QueueError("key_reused", "this request key was already used for another ticket "
                                         f"({row[-1]}, priority {str(first.priority).lower()})", status=422)
                    return self.describe(conn, first, new=False)
            if not self.is_open(service, now):
                raise closed(service, self.hours(service), now)
            self._close_earlier_days(conn, now)
            day = self.today(now)
            seqno = conn.execute(
                "INSERT INTO ticket_numbers (service, day, last) VALUES (?, ?, 1) "
                "ON CONFLICT (service, day) DO UPDATE SET last = last + 1 RETURNING last",
                (service.id, day)).fetchone()[0]
            advance = timedelta(minutes=self.config.queue.priority_advance_minutes if priority else 0)
            ticket_id = str(uuid.uuid4())
            number = f"{service.prefix}{seqno:03d}"
            conn.execute(
                "INSERT INTO tickets (id, service, drawn_from, day, seqno, number, priority, state, issued_at, "
                "sort_at, request_key, language) VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)",
                (ticket_id, service.id, service.id, day, seqno, number, int(priority), rfc3339(now),
                 rfc3339(now - advance), request_key, language))
            ticket = self.get(conn, ticket_id)
            issued = self.describe(conn, ticket, new=True)
            self._event(conn, "ticket.issued", ticket, now, priority=priority, position=issued.position,
                        estimated_wait_s=issued.estimated_wait_s)
        return issued

    def describe(self, conn: sqlite3.Connection, ticket: Ticket, *, new: bool = False) -> Issued:
        """A ticket with its place in line and estimated wait, as the resident is told."""
        pos = position(conn, ticket)
        return Issued(ticket, pos, estimated_wait_s(conn, self.config, self.service(ticket.service), pos - 1),
                      new=new)

    # -- at the counter ----------------------------------------------------
    def services_of(self, counter: str) -> list[Service]:
        if counter not in self.config.counters:
            raise QueueError("unknown_counter", f"there is no counter {counter!r}; counters: "
                             + ", ".join(self.config.counters), status=404)
        return [s for s in self.config.services if counter in s.counters]

    def at_counter(self, conn: sqlite3.Connection, counter: str) -> Ticket | None:
        row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE counter = ? AND day = ? AND state IN "
                           "('called', 'serving') ORDER BY called_at DESC LIMIT 1",
                           (counter, self.today())).fetchone()
        return from_row(row) if row else None

    def call_next(self, conn: sqlite3.Connection, counter: str, *, staff_id: str) -> Ticket:
        """Call the next ticket to `counter` by the calling rule."""
        services = [s.id for s in self.services_of(counter)]
        marks = ",".join("?" * len(services))

        def pick(day: str) -> Ticket:
            row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day = ? AND state = 'waiting' "
                               f"AND service IN ({marks}) ORDER BY sort_at, issued_at, rowid LIMIT 1",
                               (day, *services)).fetchone()
            if row is None:
                raise QueueError("queue_empty", f"nobody is waiting for counter {counter}", status=404)
            return from_row(row)
        return self._call(conn, counter, pick, staff_id)

    def call_number(self, conn: sqlite3.Connection, counter: str, ref: str, *, staff_id: str) -> Ticket:
        """Call one waiting ticket by its number (or id) out of turn: a resident who stepped up, a
        returned no-show. Only numbers of the services this counter serves."""
        services = {s.id for s in self.services_of(counter)}

        def pick(day: str) -> Ticket:
            ticket = self.find(conn, ref)
            if ticket.day != day or ticket.state is not TicketState.WAITING:
                raise QueueError("not_waiting", f"{ticket.number} is {ticket.state.value}, not waiting")
            if ticket.service not in services:
                raise QueueError("other_service", f"{ticket.number} is for {ticket.service}: not called at "
                                 f"counter {counter}")
            return ticket
        return self._call(conn, counter, pick, staff_id)

    def _call(self, conn: sqlite3.Connection, counter: str, pick: Callable[[str], Ticket], staff_id: str) -> Ticket:
        now = self.clock()
        with store.transaction(conn):
            busy = self.at_counter(conn, counter)
            if busy:
                raise QueueError("counter_busy", f"counter {counter} still has {busy.number}: "
                                 "finish it or mark it as no-show first")
            counters.ensure_calling(conn, counter)
            self._close_earlier_days(conn, now)
            ticket = pick(self.today(now))
            conn.execute("UPDATE tickets SET state = 'called', counter = ?, called_at = ?, calls = calls + 1 "
                         "WHERE id = ?", (counter, rfc3339(now), ticket.id))
            ticket = self.get(conn, ticket.id)
            self._event(conn, "ticket.called", ticket, now, by=staff_id, recall=False)
        return ticket

    def requeue(self, conn: sqlite3.Connection, ref: str, *, staff_id: str) -> Ticket:
        """Put today's no-show back in line (the resident came back): it keeps its number and goes to the
        end of the line as if taken now (a priority ticket keeps its advance), so nobody who waited is passed."""
        now = self.clock()
        advance = timedelta(minutes=self.config.queue.priority_advance_minutes)
        with store.transaction(conn):
            ticket = self.find(conn, ref)
            if ticket.state is not TicketState.NO_SHOW or ticket.day != self.today(now):
                raise QueueError("not_no_show", f"{ticket.number} is {ticket.state.value}: only today's "
                                 "no-shows go back in line")
            sort_at = now - advance if ticket.priority else now
            conn.execute("UPDATE tickets SET state = 'waiting', counter = NULL, called_at = NULL, finished_at = NULL, "
                         "sort_at = ? WHERE id = ?", (rfc3339(sort_at), ticket.id))
            ticket = self.get(conn, ticket.id)
            self._event(conn, "ticket.requeued", ticket, now, by=staff_id, position=position(conn, ticket))
        return ticket

    def set_counter(self, conn: sqlite3.Connection, counter: str, state: str, *, staff_id: str
                    ) -> counters.CounterStatus:
        """Open, pause or close a counter (see kiosk/tickets/counters.py)."""
        self.services_of(counter)
        with store.transaction(conn):
            busy = self.at_counter(conn, counter)
            return counters.set_state(conn, counter, state, busy_with=busy.number if busy else None, by=staff_id,
                                      now=self.clock())

    def for_reprint(self, conn: sqlite3.Connection, ref: str) -> Ticket:
        """Today's ticket to print again (the resident lost the paper): only while it is still open."""
        ticket = self.find(conn, ref)
        if not ticket.is_open or ticket.day != self.today():
            raise QueueError("bad_state", f"{ticket.number} is {ticket.state.value}: nothing to print again")
        return ticket

    def record_reprint(self, conn: sqlite3.Connection, ticket: Ticket, *, staff_id: str, print_job: int) -> None:
        """A ticket sent to print again on purpose by staff (`ticket.reprinted`, with who and its print job;
        the job's own end says whether it printed)."""
        with store.transaction(conn):
            self._event(conn, "ticket.reprinted", ticket, self.clock(), by=staff_id, print_job=print_job)

    def recall(self, conn: sqlite3.Connection, ticket_id: str, counter: str, *, staff_id: str) -> Ticket:
        return self._change(conn, ticket_id, counter, {TicketState.CALLED}, "ticket.called", staff_id,
                            "calls = calls + 1, called_at = :now", recall=True)

    def start(self, conn: sqlite3.Connection, ticket_id: str, counter: str, *, staff_id: str) -> Ticket:
        return self._change(conn, ticket_id, counter, {TicketState.CALLED}, "ticket.started", staff_id,
                            "state = 'serving', started_at = :now")

    def done(self, conn: sqlite3.Connection, ticket_id: str, counter: str, *, staff_id: str) -> Ticket:
        return self._change(conn, ticket_id, counter, AT_COUNTER, "ticket.done", staff_id,
                            "state = 'done', started_at = COALESCE(started_at, called_at), finished_at = :now")

    def no_show(self, conn: sqlite3.Connection, ticket_id: str, counter: str, *, staff_id: str) -> Ticket:
        return self._change(conn, ticket_id, counter, {TicketState.CALLED}, "ticket.no_show", staff_id,
                            "state = 'no_show', finished_at = :now")

    def transfer(self, conn: sqlite3.Connection, ticket_id: str, counter: str, to_service: str, *,
                 staff_id: str) -> Ticket:
        """Send a ticket to another service's queue; it keeps its number and its time."""
        target = self.service(to_service)
        return self._change(conn, ticket_id, counter, AT_COUNTER, "ticket.transferred", staff_id,
                            "state = 'waiting', service = :to, counter = NULL, called_at = NULL, "
                            "started_at = NULL", to=target.id)

    def cancel(self, conn: sqlite3.Connection, ticket_id: str, *, staff_id: str) -> Ticket:
        return self._change(conn, ticket_id, None, {TicketState.WAITING}, "ticket.cancelled", staff_id,
                            "state = 'cancelled', finished_at = :now")

    def _change(self, conn: sqlite3.Connection, ticket_id: str, counter: str | None,
                allowed: Iterable[TicketState], event: str, staff_id: str, assignments: str,
                **extra: Any) -> Ticket:
        now = self.clock()
        with store.transaction(conn):
            ticket = self.get(conn, ticket_id)
            if counter is not None and ticket.counter != counter:
                raise QueueError("wrong_counter", f"{ticket.number} is not at counter {counter}")
            if ticket.state not in allowed:
                raise QueueError("bad_state", f"{ticket.number} is {ticket.state.value}: cannot do that now")
            conn.execute(f"UPDATE tickets SET {assignments} WHERE id = :id",
                         {"id": ticket.id, "now": rfc3339(now), **extra})
            before = ticket
            ticket = self.get(conn, ticket_id)
            details: dict[str, Any] = {"by": staff_id}
            if event == "ticket.transferred":
                details.update(from_service=before.service, counter=counter)
            elif "recall" in extra:
                details["recall"] = extra["recall"]
            self._event(conn, event, ticket, now, **details)
        return ticket

    # -- satisfaction ------------------------------------------------------
    def rate(self, conn: sqlite3.Connection, ticket_ref: str, stars: Any) -> Ticket:
        """A resident rates a finished service 1–5, once."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise QueueError("bad_rating", "a rating is a whole number from 1 to 5", status=422)
        now = self.clock()
        with store.transaction(conn):
            ticket = self.find(conn, ticket_ref)
            self.check_rateable(ticket)
            conn.execute("UPDATE tickets SET rating = ?, rated_at = ? WHERE id = ?",
                         (stars, rfc3339(now), ticket.id))
            ticket = self.get(conn, ticket.id)
            self._event(conn, "rating.given", ticket, now, rating=stars)
        return ticket

    @staticmethod
    def check_rateable(ticket: Ticket) -> None:
        """Only a finished service is rated, once: a waiting, called or no-show ticket is refused before any
        stars are shown (`details["state"]` says which)."""
        if ticket.state is not TicketState.DONE:
            raise QueueError("not_done", f"{ticket.number} is {ticket.state.value}, not finished",
                             state=ticket.state.value, number=ticket.number)
        if ticket.rating is not None:
            raise QueueError("already_rated", f"{ticket.number} was already rated", number=ticket.number)

    def last_to_rate(self, conn: sqlite3.Connection, within: timedelta = timedelta(minutes=30)) -> Ticket | None:
        """The most recently finished ticket not rated yet: the "rate my service" button's ticket."""
        since = rfc3339(self.clock() - within)
        row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE state = 'done' AND rating IS NULL "
                           "AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1", (since,)).fetchone()
        return from_row(row) if row else None

    # -- reading -----------------------------------------------------------
    def get(self, conn: sqlite3.Connection, ticket_id: str) -> Ticket:
        row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise QueueError("not_found", "no such ticket", status=404)
        return from_row(row)

    def find(self, conn: sqlite3.Connection, ref: str) -> Ticket:
        """A ticket by id, or by today's number such as "A012" (case and spaces ignored)."""
        number = "".join(str(ref).split()).upper()
        row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE id = ? OR (number = ? AND day = ?) "
                           "ORDER BY issued_at DESC LIMIT 1", (ref, number, self.today())).fetchone()
        if row is None:
            raise QueueError("not_found", f"no ticket {ref!r} today", status=404)
        return from_row(row)

    def mark_printed(self, conn: sqlite3.Connection, ticket_id: str) -> None:
        conn.execute("UPDATE tickets SET printed = 1 WHERE id = ?", (ticket_id,))

    def end_day(self, conn: sqlite3.Connection, *, by: str) -> list[Ticket]:
        """End today's waiting tickets (the district's `queue.reset_day`): each becomes cancelled with its
        `ticket.cancelled` event and stays recorded; tickets at a counter are left to finish."""
        now = self.clock()
        with store.transaction(conn):
            rows = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day = ? AND state = 'waiting' "
                                "ORDER BY sort_at, rowid", (self.today(now),)).fetchall()
            ended = []
            for row in rows:
                ticket = from_row(row)
                conn.execute("UPDATE tickets SET state = 'cancelled', finished_at = ? WHERE id = ?",
                             (rfc3339(now), ticket.id))
                ended.append(self.get(conn, ticket.id))
                self._event(conn, "ticket.cancelled", ended[-1], now, by=by, reason="reset_day")
        return ended

    # -- housekeeping --------------------------------------------------------
    def _close_earlier_days(self, conn: sqlite3.Connection, now: datetime) -> None:
        """Tickets still open from an earlier day end as cancelled (a new day starts at A001)."""
        rows = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day < ? AND state IN "
                            "('waiting', 'called', 'serving')", (self.today(now),)).fetchall()
        for row in rows:
            ticket = from_row(row)
            conn.execute("UPDATE tickets SET state = 'cancelled', finished_at = ? WHERE id = ?",
                         (rfc3339(now), ticket.id))
            self._event(conn, "ticket.cancelled", self.get(conn, ticket.id), now, by="day_end")

    def _event(self, conn: sqlite3.Connection, type_: str, ticket: Ticket, now: datetime, **data: Any) -> None:
        outbox.append(conn, type_, {"ticket_id": ticket.id, "number": ticket.number, "service": ticket.service,
                                    "state": ticket.state.value, "counter": ticket.counter, **data},
                      ts=rfc3339(now))

