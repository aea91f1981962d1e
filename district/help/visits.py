"""Return visits (回访): the dispatcher calls the resident after a request is done, and the satisfaction figure.

A visit is recorded for a done request only: reached or not; when reached,
a satisfaction of 1 to 5 (none otherwise) and a note. The district's
satisfaction figure takes one score per done request: the latest reached
return visit's when there is one (the considered answer, asked after the
fact), else the resident's own rating at the station; requests with neither
are counted as unrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from ..db.help import help_requests, return_visits
from ..errors import Refused
from .track import DONE


def record(conn: Connection, request_id: str, *, reached: bool, satisfaction: int | None, note: str, by: str,
           now: datetime) -> int:
    """One return visit; Refused (nothing written) for a request not done or a satisfaction out of place."""
    request = conn.execute(select(help_requests.c.state, help_requests.c.number)
                           .where(help_requests.c.id == request_id)).first()
    if request is None:
        raise Refused(f"no help request {request_id!r}", code="unknown_request", request=request_id)
    if request.state != DONE:
        raise Refused(f"request {request.number} is not done yet", code="not_done", number=request.number or "")
    if reached and (isinstance(satisfaction, bool) or not isinstance(satisfaction, int)
                    or not 1 <= satisfaction <= 5):
        raise Refused("a reached resident's satisfaction is 1 to 5", code="bad_satisfaction")
    if not reached and satisfaction is not None:
        raise Refused("no satisfaction without reaching the resident", code="satisfaction_unreached")
    return conn.execute(return_visits.insert().values(
        request_id=request_id, reached=reached, satisfaction=satisfaction if reached else None,
        note=(note or "").strip()[:500], by=by, at=now).returning(return_visits.c.id)).scalar_one()


def of_request(conn: Connection, request_id: str) -> list[Any]:
    return list(conn.execute(select(return_visits).where(return_visits.c.request_id == request_id)
                             .order_by(return_visits.c.at.desc(), return_visits.c.id.desc())))


@dataclass(frozen=True)
class Satisfaction:
    done: int                    # done requests in the range
    ratings: int                 # of them rated by the resident
    visits: int                  # of them with a reached return visit
    scored: int                  # with a score of either kind
    average: float | None        # the combined figure (1-5), None with no score

    @property
    def unrated(self) -> int:
        return self.done - self.scored


def scores(conn: Connection, *, station: str | None = None, start: datetime | None = None,
           end: datetime | None = None) -> dict[str, tuple[int | None, int | None]]:
    """Per done request (done in [start, end)): (the resident's stars, the latest reached visit's score)."""
    latest = (select(return_visits.c.request_id, func.max(return_visits.c.id).label("id"))
              .where(return_visits.c.reached.is_(True)).group_by(return_visits.c.request_id).subquery())
    query = (select(help_requests.c.id, help_requests.c.stars, return_visits.c.satisfaction)
             .select_from(help_requests.outerjoin(latest, latest.c.request_id == help_requests.c.id)
                          .outerjoin(return_visits, and_(return_visits.c.id == latest.c.id)))
             .where(help_requests.c.state == DONE))
    if station:
        query = query.where(help_requests.c.station_id == station)
    if start is not None:
        query = query.where(help_requests.c.done_at >= start)
    if end is not None:
        query = query.where(help_requests.c.done_at < end)
    return {r.id: (r.stars, r.satisfaction) for r in conn.execute(query)}


def combined(found: dict[str, tuple[int | None, int | None]]) -> Satisfaction:
    """The district's figure from `scores`: a visit's score where there is one, else the rating."""
    picked = [visit if visit is not None else stars for stars, visit in found.values()]
    picked = [p for p in picked if p is not None]
    return Satisfaction(done=len(found), ratings=sum(1 for s, _ in found.values() if s is not None),
                        visits=sum(1 for _, v in found.values() if v is not None), scored=len(picked),
                        average=round(sum(picked) / len(picked), 2) if picked else None)
