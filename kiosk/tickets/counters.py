"""Counters open, paused or closed by their staff.

A counter is open unless its staff paused it (a short break: it still counts for the estimated waits,
since it will call again soon) or closed it (for the rest of the day: the waits are shared over the
counters still open). A counter that is not open calls nobody: call next, a call by number and its
call button are refused with `counter_paused` / `counter_closed`; a number already called there can
still be finished. Closing a counter that still has a number is refused (`counter_busy`): finish it,
mark it as no-show or transfer it first. Each change writes `counter.state` in its transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ..base import outbox
from ..base.clock import rfc3339
from .ticket import QueueError


class CounterState(str, Enum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class CounterStatus:
    counter: str
    state: CounterState
    since: str | None = None       # when it was paused or closed (None: open since the station started)
    by: str | None = None


def status(conn: sqlite3.Connection, counter: str) -> CounterStatus:
    """The counter's state now (no row: open)."""
    row = conn.execute("SELECT state, since, by FROM counter_states WHERE counter = ?", (counter,)).fetchone()
    if row is None:
        return CounterStatus(counter, CounterState.OPEN)
    return CounterStatus(counter, CounterState(row[0]), row[1], row[2])


def closed_counters(conn: sqlite3.Connection) -> set[str]:
    """The counters closed for now (their share of the waits goes to the others)."""
    return {r[0] for r in conn.execute("SELECT counter FROM counter_states WHERE state = 'closed'")}


def ensure_calling(conn: sqlite3.Connection, counter: str) -> None:
    """Refuse a call at a counter that is paused or closed."""
    state = status(conn, counter).state
    if state is CounterState.PAUSED:
        raise QueueError("counter_paused", f"counter {counter} is paused: open it to call again")
    if state is CounterState.CLOSED:
        raise QueueError("counter_closed", f"counter {counter} is closed: open it to call again")


def set_state(conn: sqlite3.Connection, counter: str, state: str, *, busy_with: str | None, by: str,
              now: datetime) -> CounterStatus:
    """Open, pause or close a counter (inside the caller's transaction); `busy_with` is the number at it."""
    try:
        wanted = CounterState(state)
    except ValueError:
        raise QueueError("bad_counter_state", f"a counter is open, paused or closed, not {state!r}",
                         status=422) from None
    if wanted is CounterState.CLOSED and busy_with:
        raise QueueError("counter_busy", f"counter {counter} still has {busy_with}: "
                         "finish it or mark it as no-show first")
    before = status(conn, counter)
    if before.state is wanted:
        return before
    stamp = rfc3339(now)
    if wanted is CounterState.OPEN:
        conn.execute("DELETE FROM counter_states WHERE counter = ?", (counter,))
    else:
        conn.execute("INSERT INTO counter_states (counter, state, since, by) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (counter) DO UPDATE SET state = excluded.state, since = excluded.since, "
                     "by = excluded.by", (counter, wanted.value, stamp, by))
    outbox.append(conn, "counter.state", {"counter": counter, "state": wanted.value, "before": before.state.value,
                                          "by": by}, ts=stamp)
    return status(conn, counter) if wanted is not CounterState.OPEN else CounterStatus(counter, wanted, stamp, by)
