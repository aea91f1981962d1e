"""What a twin's residents and staff do: events with the data a station writes (sync/event_schemas.py)."""

from __future__ import annotations

import uuid

from .backlog import MemoryBacklog

SERVICES = ("consult", "print", "water")
SLOTS = ("U1", "U2", "C1", "C2")            # the demo station's locker slots


def ticket(backlog: MemoryBacklog, number: int) -> int:
    """One ticket taken, called and served: ticket.issued, ticket.called, ticket.done (3 events)."""
    ticket_id = str(uuid.uuid4())
    base = {"ticket_id": ticket_id, "number": f"A{number % 1000:03d}", "service": SERVICES[number % 3]}
    backlog.append("ticket.issued", {**base, "state": "waiting", "counter": None, "priority": False,
                                     "position": 1, "estimated_wait_s": 300})
    backlog.append("ticket.called", {**base, "state": "called", "counter": "1", "by": "S001", "recall": False})
    backlog.append("ticket.done", {**base, "state": "done", "counter": "1", "by": "S001"})
    return 3


def burst(backlog: MemoryBacklog, events: int, start: int = 0) -> int:
    """About `events` events (whole tickets of 3); how many were written."""
    written = 0
    while written < events:
        written += ticket(backlog, start + written)
    return written
