"""Every station's help requests as one table, kept from their `request.*` events (called by ingest, once each).

A request's row holds its latest state: the state an event sets is taken
only when the event is later, by (epoch, seq), than the one that set the
current state, so a pack that arrives after a later one (a gap refilled)
leaves the right state; each step's own time (accepted_at, done_at …) is
kept whatever the order. A step is stored once by its event id for the
request's history. An event of a request whose `request.created` has not
arrived yet makes its row with what the event says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..db.engine import upsert_insert
from ..db.help import help_requests, request_steps
from ..points.ledger import parse_ts

OPEN, DISPATCHED, ACCEPTED, DONE = "open", "dispatched", "accepted", "done"
STATES = (OPEN, DISPATCHED, ACCEPTED, DONE)
#: event type → (the step's name, the state it sets; None: no state change)
STEPS = {"request.created": ("created", OPEN), "request.dispatched": ("dispatched", DISPATCHED),
         "request.accepted": ("accepted", ACCEPTED), "request.done": ("done", DONE),
         "request.handed_back": ("handed_back", OPEN), "request.rated": ("rated", None)}


def apply(conn: Connection, station: str, event: dict[str, Any], now: datetime) -> bool:
    """Apply one `request.*` event; False when it is not one (or its step is already stored)."""
    step = STEPS.get(event["type"])
    if step is None:
        return False
    kind, state = step
    data = event["data"]
    at = parse_ts(event["ts"]) or now
    added = conn.execute(upsert_insert(conn, request_steps).values(
        event_id=event["id"], request_id=data["request_id"], kind=kind, at=at, member_id=data.get("member_id"),
        detail=_detail(kind, data)).on_conflict_do_nothing().returning(request_steps.c.event_id)).first()
    if added is None:
        return False
    position = (int(event.get("epoch", 0)), int(event["seq"]))
    row = conn.execute(select(help_requests).where(help_requests.c.id == data["request_id"]).with_for_update()).first()
    if row is None:
        conn.execute(help_requests.insert().values(id=data["request_id"], station_id=station, state=state or DONE,
                                                   state_epoch=-1, state_seq=-1, points=0,
                                                   updated_at=now))
        row = conn.execute(select(help_requests).where(help_requests.c.id == data["request_id"])).one()
    values = _facts(kind, data, at)
    if kind == "dispatched" and data["member_id"] == row.dispatch_member_id:
        values["dispatch_command_id"] = None           # the console's dispatch happened: no longer on its way
    if state is not None and position > (row.state_epoch, row.state_seq):
        values.update(_state(kind, state, data), state_epoch=position[0], state_seq=position[1])
    conn.execute(help_requests.update().where(help_requests.c.id == row.id).values(updated_at=now, **values))
    return True


def _detail(kind: str, data: dict[str, Any]) -> str | None:
    value = {"done": data.get("outcome"), "handed_back": data.get("reason"), "rated": data.get("stars"),
             "dispatched": data.get("points")}.get(kind)
    return None if value is None else str(value)


def _facts(kind: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """What the step tells whatever its order: its time and its figures."""
    if kind == "created":
        return {"number": data["number"], "category": data["category"], "details": data.get("details", []),
                "preferred_time": data["preferred_time"], "building": data.get("building"),
                "lang": data.get("lang"), "created_at": at}
    if kind == "dispatched":
        return {"dispatched_at": at}
    if kind == "accepted":
        return {"accepted_at": at}
    if kind == "done":
        return {"done_at": at, "outcome": data["outcome"]}
    if kind == "handed_back":
        return {"handed_back_at": at, "handed_back_reason": data["reason"], "handed_back_by": data["member_id"]}
    return {"rated_at": at, "stars": data["stars"]}


def _state(kind: str, state: str, data: dict[str, Any]) -> dict[str, Any]:
    """The columns the latest state sets: who holds the request and for how many points."""
    values: dict[str, Any] = {"state": state}
    if kind == "handed_back" or kind == "created":
        values.update(member_id=None, points=0)
    elif kind == "dispatched":
        values.update(member_id=data["member_id"], points=data["points"])
    else:
        values["member_id"] = data["member_id"]
    if kind == "done":
        values["points"] = data["points"]
    return values


def get(conn: Connection, request_id: str) -> Any | None:
    return conn.execute(select(help_requests).where(help_requests.c.id == request_id)).first()


def steps(conn: Connection, request_id: str) -> list[Any]:
    return list(conn.execute(select(request_steps).where(request_steps.c.request_id == request_id)
                             .order_by(request_steps.c.at, request_steps.c.event_id)))
