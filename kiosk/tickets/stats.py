"""What the queue looks like: places in line, estimated waits, the board and the day's report."""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..base.clock import parse_time
from ..config import Config
from ..config.offer import Service
from .counters import closed_counters
from .ticket import COLUMNS, Ticket, TicketState, from_row


def position(conn: sqlite3.Connection, ticket: Ticket) -> int:
    """1-based place among the service's waiting tickets (by the calling rule); 0 once called."""
    if ticket.state is not TicketState.WAITING:
        return 0
    ahead = conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE day = ? AND service = ? AND state = 'waiting' "
        "AND (sort_at, issued_at, rowid) < (SELECT sort_at, issued_at, rowid FROM tickets WHERE id = ?)",
        (ticket.day, ticket.service, ticket.id)).fetchone()[0]
    return ahead + 1


def service_seconds(conn: sqlite3.Connection, config: Config, service: Service) -> float:
    """Typical time at the counter: median of the most recent real services, else the configured average."""
    rows = conn.execute("SELECT started_at, finished_at FROM tickets WHERE service = ? AND state = 'done' "
                        "AND started_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                        (service.id, config.queue.recent_services)).fetchall()
    durations = [(parse_time(b) - parse_time(a)).total_seconds() for a, b in rows]
    durations = [d for d in durations if d > 0]
    if len(durations) >= 3:
        return statistics.median(durations)
    return service.average_minutes * 60.0


def estimated_wait_s(conn: sqlite3.Connection, config: Config, service: Service, ahead: int) -> int:
    """Seconds until a ticket with `ahead` tickets before it is called, shared over the service's counters."""
    if ahead <= 0:
        return 0
    closed = closed_counters(conn)
    serving = [c for c in service.counters if c not in closed]
    return int(round(ahead * service_seconds(conn, config, service) / max(1, len(serving))))


@dataclass
class ServiceBoard:
    service: str
    waiting: int = 0
    now_serving: list[dict[str, Any]] = field(default_factory=list)
    last_called: list[str] = field(default_factory=list)


def board(conn: sqlite3.Connection, config: Config, day: str, *, last: int = 5) -> list[ServiceBoard]:
    """Per service: how many wait, who is at which counter, the last numbers called."""
    boards = {s.id: ServiceBoard(s.id) for s in config.services}
    for service, count in conn.execute("SELECT service, COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting' "
                                       "GROUP BY service", (day,)):
        if service in boards:
            boards[service].waiting = count
    rows = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day = ? AND called_at IS NOT NULL "
                        "ORDER BY called_at DESC, rowid DESC", (day,)).fetchall()
    for ticket in map(from_row, rows):
        entry = boards.get(ticket.service)
        if entry is None:
            continue
        if ticket.state in (TicketState.CALLED, TicketState.SERVING):
            entry.now_serving.append({"ticket_id": ticket.id, "number": ticket.number,
                                      "counter": ticket.counter, "state": ticket.state.value})
        if len(entry.last_called) < last:
            entry.last_called.append(ticket.number)
    return list(boards.values())


def waiting(conn: sqlite3.Connection, day: str, service: str | None = None) -> int:
    """How many tickets of the local `day` still wait: for one service, or (None) for all."""
    if service is None:
        return conn.execute("SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting'", (day,)).fetchone()[0]
    return conn.execute("SELECT COUNT(*) FROM tickets WHERE day = ? AND service = ? AND state = 'waiting'",
                        (day, service)).fetchone()[0]


def daily_report(conn: sqlite3.Connection, config: Config, day: str) -> list[dict[str, Any]]:
    """Per service for one day: tickets, served, no-shows, waits (median, p90, minutes) and ratings."""
    report = []
    for service in config.services:
        rows = conn.execute("SELECT state, issued_at, called_at, rating FROM tickets WHERE day = ? AND service = ?",
                            (day, service.id)).fetchall()
        waits = sorted((parse_time(c) - parse_time(i)).total_seconds() / 60 for _, i, c, _ in rows if c)
        ratings = [r for *_, r in rows if r is not None]
        report.append({
            "service": service.id,
            "tickets": len(rows),
            "done": sum(1 for s, *_ in rows if s == "done"),
            "no_show": sum(1 for s, *_ in rows if s == "no_show"),
            "wait_median_min": round(statistics.median(waits), 1) if waits else None,
            "wait_p90_min": round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 1) if waits else None,
            "ratings": len(ratings),
            "rating_mean": round(statistics.mean(ratings), 2) if ratings else None,
        })
    return report


@dataclass(frozen=True)
class Waiting:
    """A ticket in a waiting list, as the counter console shows it."""
    ticket: Ticket
    place: int                   # 1 = next to be called for its service
    waited_s: int                # since it was taken


def waiting_list(conn: sqlite3.Connection, day: str, service: str, now: datetime) -> list[Waiting]:
    """One service's waiting tickets of the local `day`, in calling order (priority marks on the tickets)."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day = ? AND service = ? AND state = 'waiting' "
                        "ORDER BY sort_at, issued_at, rowid", (day, service)).fetchall()
    return [Waiting(t, place, max(0, int((now - parse_time(t.issued_at)).total_seconds())))
            for place, t in enumerate(map(from_row, rows), start=1)]


def no_shows(conn: sqlite3.Connection, day: str, services: list[str], *, last: int = 10) -> list[Ticket]:
    """The day's latest no-shows of these services (the ones that may go back in line), newest first."""
    marks = ",".join("?" * len(services))
    rows = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE day = ? AND state = 'no_show' AND service IN ({marks}) "
                        "ORDER BY finished_at DESC LIMIT ?", (day, *services, last)).fetchall()
    return [from_row(r) for r in rows]
