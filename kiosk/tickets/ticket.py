"""Queue tickets as records: their states, their shape, and the refusals of the queue."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import Enum

from ..base.errors import Refusal


class TicketState(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({TicketState.WAITING, TicketState.CALLED, TicketState.SERVING})
AT_COUNTER = frozenset({TicketState.CALLED, TicketState.SERVING})


class QueueError(Refusal):
    """A queue action refused (taking, calling, rating a ticket)."""


@dataclass(frozen=True)
class Ticket:
    id: str
    number: str
    service: str
    day: str
    priority: bool
    state: TicketState
    issued_at: str
    sort_at: str
    counter: str | None
    calls: int
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    printed: bool
    rating: int | None
    language: str                   # the resident's language when it was taken: its paper's second language

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


COLUMNS = ("id, number, service, day, priority, state, issued_at, sort_at, counter, calls, "
           "called_at, started_at, finished_at, printed, rating, language")


def from_row(row: sqlite3.Row | tuple) -> Ticket:
    values = list(row)
    values[4] = bool(values[4])
    values[5] = TicketState(values[5])
    values[13] = bool(values[13])
    return Ticket(*values)

