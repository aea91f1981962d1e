"""The figures of a report, per bucket of its period, from what the stations reported.

Station events (by the station's own clock, `ts`, which the hub keeps as
sent in UTC; buckets in the district's zone): tickets and their waits
(issue to first call; p50 and p90 by nearest rank), ratings, check-ins and
volunteer hours (the minutes of each check-out), redemptions (made, less
voided). Points from the district's ledger: issued (counted entries above
zero, but a balance brought into the register) and spent (redemptions, less
voids). Help requests from the district's own
table: asked, time to the first dispatch and to done (medians), the
satisfaction figure of district/help/visits.py, and the range's requests by
state and by category.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from kiosk.base.clock import rfc3339

from ..db.help import help_requests, request_steps
from ..db.people import ledger
from ..db.schema import events
from ..help import visits
from ..points.ledger import parse_ts
from .period import Period

TYPES = ("ticket.issued", "ticket.called", "rating.given", "member.checked_in", "member.checked_out",
         "redemption.made", "redemption.voided")
COLUMNS = ("tickets", "wait_p50_min", "wait_p90_min", "ratings", "rating_avg", "checkins", "volunteer_hours",
           "points_issued", "points_spent", "redemptions", "requests", "requests_done", "dispatch_p50_min",
           "done_p50_h", "satisfaction", "satisfaction_n")


@dataclass
class Figures:
    """One bucket's figures (None: nothing to measure)."""
    tickets: int = 0
    wait_p50_min: float | None = None
    wait_p90_min: float | None = None
    ratings: int = 0
    rating_avg: float | None = None
    checkins: int = 0
    volunteer_hours: float = 0.0
    points_issued: int = 0
    points_spent: int = 0
    redemptions: int = 0
    requests: int = 0
    requests_done: int = 0
    dispatch_p50_min: float | None = None
    done_p50_h: float | None = None
    satisfaction: float | None = None
    satisfaction_n: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    stars: list[int] = field(default_factory=list, repr=False)
    minutes: int = 0

    def row(self) -> list[Any]:
        return [getattr(self, c) for c in COLUMNS]


@dataclass(frozen=True)
class Report:
    period: Period
    station: str | None
    buckets: list[tuple[Any, Figures]]           # (period.Bucket, its figures)
    total: Figures
    by_state: dict[str, int]
    by_category: dict[str, int]


def nearest_rank(values: Iterable[float], share: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1) if ordered else None


def build(conn: Connection, period: Period, station: str | None = None) -> Report:
    """Every figure of the period, per bucket and in total."""
    buckets = period.buckets()
    per: dict[date, Figures] = {b.key: Figures() for b in buckets}
    total = Figures()
    _station_events(conn, period, station, per, total)
    _points(conn, period, station, per, total)
    by_state, by_category = _help(conn, period, station, per, total)
    for bucket in buckets:
        _satisfaction(conn, per[bucket.key], station, bucket.start, bucket.end)
    _satisfaction(conn, total, station, period.since, period.until)
    for figures in [*per.values(), total]:
        _finish(figures)
    return Report(period, station, [(b, per[b.key]) for b in buckets], total, by_state, by_category)


def events_query(station: str | None, since: datetime, until: datetime) -> Select:
    """The report's events (TYPES) in the range, with the only three fields of their data a report reads, taken
    out by the database (decoding every event's whole JSON was most of a district report's time,
    bench/district_reports.py, which explains this very statement)."""
    field = events.c.data
    query = select(events.c.type, events.c.ts, field["ticket_id"].as_string().label("ticket_id"),
                   field["rating"].as_string().label("rating"), field["minutes"].as_string().label("minutes")) \
        .where(events.c.type.in_(TYPES), events.c.ts >= rfc3339(since), events.c.ts < rfc3339(until))
    if station:
        query = query.where(events.c.station_id == station)
    return query.order_by(events.c.ts)


def _station_events(conn: Connection, period: Period, station: str | None, per: dict, total: Figures) -> None:
    issued: dict[str, datetime] = {}
    called: dict[str, datetime] = {}
    until = period.until
    for row in conn.execute(events_query(station, period.since, until + timedelta(days=1))):
        moment = parse_ts(row.ts)
        if moment is None:
            continue
        inside = moment < until
        if row.type == "ticket.issued" and inside:
            issued[row.ticket_id] = moment
        elif row.type == "ticket.called":
            called.setdefault(row.ticket_id, moment)
        if inside:
            for f in (per[period.key(moment)], total):
                _count(f, row)
    for ticket, at in issued.items():
        if ticket in called and called[ticket] >= at:
            wait = (called[ticket] - at).total_seconds() / 60
            for f in (per[period.key(at)], total):
                f.waits.append(wait)


def _count(f: Figures, row: Any) -> None:
    kind = row.type
    if kind == "ticket.issued":
        f.tickets += 1
    elif kind == "rating.given":
        f.stars.append(int(row.rating))
    elif kind == "member.checked_in":
        f.checkins += 1
    elif kind == "member.checked_out":
        f.minutes += int(row.minutes or 0)
    elif kind == "redemption.made":
        f.redemptions += 1
    elif kind == "redemption.voided":
        f.redemptions -= 1


def _points(conn: Connection, period: Period, station: str | None, per: dict, total: Figures) -> None:
    query = select(ledger.c.at, ledger.c.amount, ledger.c.reason).where(
        ledger.c.counts.is_(True), ledger.c.at >= period.since, ledger.c.at < period.until)
    if station:
        query = query.where(ledger.c.station_id == station)
    for row in conn.execute(query):
        for f in (per[period.key(row.at)], total):
            if row.reason == "void":                      # a redemption undone: not spent after all
                f.points_spent -= int(row.amount)
            elif row.reason == "redemption":
                f.points_spent += -int(row.amount)
            elif row.amount > 0 and row.reason != "opening_balance":
                f.points_issued += int(row.amount)


def _help(conn: Connection, period: Period, station: str | None, per: dict, total: Figures):
    first = (select(request_steps.c.request_id, func.min(request_steps.c.at).label("at"))
             .where(request_steps.c.kind == "dispatched").group_by(request_steps.c.request_id).subquery())
    query = (select(help_requests.c.created_at, help_requests.c.done_at, help_requests.c.state,
                    help_requests.c.category, first.c.at.label("dispatched"))
             .select_from(help_requests.outerjoin(first, first.c.request_id == help_requests.c.id))
             .where(help_requests.c.created_at >= period.since, help_requests.c.created_at < period.until))
    if station:
        query = query.where(help_requests.c.station_id == station)
    states, categories = Counter(), Counter()
    to_dispatch, to_done = defaultdict(list), defaultdict(list)
    for row in conn.execute(query):
        key = period.key(row.created_at)
        states[row.state] += 1
        categories[row.category or "?"] += 1
        for f, k in ((per[key], key), (total, None)):
            f.requests += 1
            f.requests_done += row.state == "done"
            if row.dispatched:
                to_dispatch[k].append((row.dispatched - row.created_at).total_seconds() / 60)
            if row.done_at and row.state == "done":
                to_done[k].append((row.done_at - row.created_at).total_seconds() / 3600)
    for k, f in [*per.items(), (None, total)]:
        f.dispatch_p50_min = nearest_rank(to_dispatch[k], 0.5)
        f.done_p50_h = nearest_rank(to_done[k], 0.5)
    return dict(states), dict(categories)


def _satisfaction(conn: Connection, f: Figures, station: str | None, start: datetime, end: datetime) -> None:
    figure = visits.combined(visits.scores(conn, station=station, start=start, end=end))
    f.satisfaction, f.satisfaction_n = figure.average, figure.scored


def _finish(f: Figures) -> None:
    f.wait_p50_min, f.wait_p90_min = nearest_rank(f.waits, 0.5), nearest_rank(f.waits, 0.9)
    f.ratings = len(f.stars)
    f.rating_avg = round(sum(f.stars) / len(f.stars), 2) if f.stars else None
    f.volunteer_hours = round(f.minutes / 60, 1)


def requests_of_month(conn: Connection, period: Period, station: str) -> list[Any]:
    """The month's help requests of one station with every time (the printable page lists them)."""
    first = (select(request_steps.c.request_id, func.min(request_steps.c.at).label("at"))
             .where(request_steps.c.kind == "dispatched").group_by(request_steps.c.request_id).subquery())
    return list(conn.execute(
        select(help_requests, first.c.at.label("first_dispatched"))
        .select_from(help_requests.outerjoin(first, first.c.request_id == help_requests.c.id))
        .where(help_requests.c.station_id == station, help_requests.c.created_at >= period.since,
               help_requests.c.created_at < period.until).order_by(help_requests.c.created_at)))
