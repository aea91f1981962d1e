"""The dispatcher's work (社区派单): new requests oldest first, whom to send, the signed dispatch, alerts.

A dispatch is the station's own `request.dispatch` command, signed with its
key and stored in the same transaction as the request's note of it; the
state changes only when the station's `request.dispatched` event arrives
(district/help/track.py), so the screen never shows what the station has
not done. Refused, with nothing written: a member not in the register, of
another district, deactivated or staff; a request already accepted or done
(taken), or with a dispatch still on its way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from .. import commands
from ..db.help import help_requests
from ..db.people import members
from ..db.schema import commands as commands_table
from ..db.schema import stations
from ..errors import Refused
from ..members import register
from ..outgoing import Outgoing
from ..settings import DispatchSettings
from .track import ACCEPTED, DISPATCHED, DONE, OPEN

#: the hour a preferred time ends, local time (this_week: Sunday's end)
ENDS = {"today_am": (0, time(12)), "today_pm": (0, time(18)), "tomorrow_am": (1, time(12)),
        "tomorrow_pm": (1, time(18))}


def _listing():
    return (select(help_requests, stations.c.name.label("station_name"), stations.c.grid.label("grid"),
                   commands_table.c.status.label("dispatch_status"), commands_table.c.reason.label("dispatch_reason"),
                   commands_table.c.result.label("dispatch_result"),
                   commands_table.c.expires_at.label("dispatch_expires"))
            .select_from(help_requests.join(stations, stations.c.id == help_requests.c.station_id)
                         .outerjoin(commands_table, commands_table.c.id == help_requests.c.dispatch_command_id)))


def waiting(conn: Connection, limit: int = 200) -> list[Any]:
    """Requests no member holds (new, or handed back), oldest first."""
    return list(conn.execute(_listing().where(help_requests.c.state == OPEN)
                             .order_by(help_requests.c.created_at, help_requests.c.id).limit(limit)))


def following(conn: Connection, limit: int = 100) -> list[Any]:
    """Requests a member holds or finished, the latest change first."""
    return list(conn.execute(_listing().where(help_requests.c.state.in_((DISPATCHED, ACCEPTED, DONE)))
                             .order_by(help_requests.c.updated_at.desc()).limit(limit)))


def one(conn: Connection, request_id: str) -> Any | None:
    return conn.execute(_listing().where(help_requests.c.id == request_id)).first()


def due(preferred_time: str | None, created_at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """When a request should be done by: the end of the time the resident chose, in local time."""
    if not preferred_time or created_at is None:
        return None
    day = created_at.astimezone(zone).date()
    if preferred_time == "this_week":
        return datetime.combine(day + timedelta(days=7 - day.isoweekday()), time(23, 59), zone)
    offset, hour = ENDS.get(preferred_time, (0, time(23, 59)))
    return datetime.combine(day + timedelta(days=offset), hour, zone)


@dataclass(frozen=True)
class Suggestion:
    member: register.Member
    same_grid: bool
    done_in_category: int
    open_tasks: int


def suggestions(conn: Connection, request: Any, district: str, limit: int = 8) -> list[Suggestion]:
    """Members to send: of the station's grid first, then those who did most of this category, then the least busy."""
    done = (select(help_requests.c.member_id, func.count().label("n"))
            .where(help_requests.c.state == DONE, help_requests.c.category == request.category)
            .group_by(help_requests.c.member_id).subquery())
    busy = (select(help_requests.c.member_id, func.count().label("n"))
            .where(help_requests.c.state.in_((DISPATCHED, ACCEPTED))).group_by(help_requests.c.member_id).subquery())
    grid = request.grid or ""
    same = case((and_(members.c.grid != "", members.c.grid == grid), 1), else_=0)
    rows = conn.execute(
        select(members.c.id, same.label("same"), func.coalesce(done.c.n, 0).label("done"),
               func.coalesce(busy.c.n, 0).label("busy"))
        .select_from(members.outerjoin(done, done.c.member_id == members.c.id)
                     .outerjoin(busy, busy.c.member_id == members.c.id))
        .where(members.c.district == district, members.c.active.is_(True), members.c.role != "staff")
        .order_by(same.desc(), func.coalesce(done.c.n, 0).desc(), func.coalesce(busy.c.n, 0), members.c.id)
        .limit(limit)).all()
    found = {m.id: m for m in register.listing(conn, district=district, limit=1_000_000)
             if m.id in {r.id for r in rows}}
    return [Suggestion(found[r.id], bool(r.same), int(r.done), int(r.busy)) for r in rows]


def dispatch(conn: Connection, rules: DispatchSettings, request_id: str, member_id: str, points: int, *,
             note: str, district: str, by: str, now: datetime) -> Outgoing:
    """Sign and store `request.dispatch` for the request's station; the message to publish after commit."""
    request = conn.execute(select(help_requests).where(help_requests.c.id == request_id).with_for_update()).first()
    if request is None:
        raise Refused(f"no help request {request_id!r}", code="unknown_request", request=request_id)
    if request.state in (ACCEPTED, DONE):
        raise Refused(f"request {request.number} is already {request.state} by {request.member_id}",
                      code="already_taken", number=request.number or "", member=request.member_id or "")
    on_its_way = _pending(conn, request, now)
    if on_its_way:
        raise Refused(f"a dispatch of request {request.number} to {request.dispatch_member_id} is on its way",
                      code="dispatch_pending", number=request.number or "", member=request.dispatch_member_id or "")
    member = register.for_task(conn, member_id, district)
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 100:
        raise Refused("the points of a task are 0 to 100", code="bad_points", points=points)
    args = {"request_id": request.id, "member_id": member.id, "points": points}
    if note.strip():
        args["note"] = note.strip()[:200]
    sent = commands.create(conn, request.station_id, "request.dispatch", args, by=by, now=now,
                           lifetime_s=rules.command_hours * 3600)
    conn.execute(help_requests.update().where(help_requests.c.id == request.id).values(
        dispatch_command_id=sent.command_id, dispatch_member_id=member.id, dispatch_by=by, dispatch_asked_at=now))
    return sent


def _pending(conn: Connection, request: Any, now: datetime) -> bool:
    """A dispatch asked and not yet answered (the station may be offline); the station's `request.dispatched`
    clears `dispatch_command_id` (district/help/track.py)."""
    if request.dispatch_command_id is None:
        return False
    command = conn.execute(select(commands_table.c.status, commands_table.c.expires_at)
                           .where(commands_table.c.id == request.dispatch_command_id)).first()
    return command is not None and command.status in ("pending", "sent") and command.expires_at > now


@dataclass(frozen=True)
class Alert:
    kind: str                    # waiting | overdue
    request: Any
    since: datetime              # created (waiting) or due (overdue)


def alerts(conn: Connection, rules: DispatchSettings, zone: ZoneInfo, now: datetime) -> list[Alert]:
    """Requests waiting longer than `dispatch.wait_minutes`, and accepted ones past the resident's time."""
    found = [Alert("waiting", r, r.created_at) for r in conn.execute(_listing().where(
        help_requests.c.state == OPEN, help_requests.c.created_at < now - timedelta(minutes=rules.wait_minutes))
        .order_by(help_requests.c.created_at))]
    for r in conn.execute(_listing().where(or_(help_requests.c.state == ACCEPTED, help_requests.c.state == DISPATCHED))
                          .order_by(help_requests.c.created_at)):
        end = due(r.preferred_time, r.created_at, zone)
        if end is not None and end < now:
            found.append(Alert("overdue", r, end))
    return found
