"""A district report over a year of events: how long a month takes, with the events indexed by type alone
(revision 0004) and by type and the station's time (0005).

A real PostgreSQL from Debian's packages (tests/postgres.py), the hub's schema
by its own migrations, and `--stations` stations that each sent `--per-day`
events a day for `--days` days (filled by SQL: ticket issued, called, started
and done, ratings, check-ins and check-outs, redemptions, help and locker
events, about half of them of the types a report reads). Then the report the
console shows (district/reports/figures.build) is made for the last whole
month, for the district and for one station, `--runs` times for each index;
the figure is the median. The report's own event query under EXPLAIN ANALYZE
says what PostgreSQL chose to read and how long it took. The machine is shared: figures move with its
load.
Run: .venv/bin/python bench/district_reports.py [--stations 100] [--per-day 100] [--days 365] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from _common import ROOT

sys.path.insert(0, str(ROOT / "tests"))

from postgres import Postgres  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from district.db import migrate  # noqa: E402
from district.db.engine import open_engine, reading  # noqa: E402
from district.reports import figures  # noqa: E402
from district.reports.period import Period  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
#: Each day's events cycle through these, so about half are of the report's types (figures.TYPES).
CYCLE = ("ticket.issued", "ticket.called", "ticket.started", "ticket.done", "rating.given", "member.checked_in",
         "member.checked_out", "redemption.made", "request.created", "locker.opened", "locker.fault",
         "config.applied", "ticket.issued", "ticket.called")
INDEXES = {"type (0004)": "CREATE INDEX ix_events_type ON events (type)",
           "type, ts (0005)": "CREATE INDEX ix_events_type_ts ON events (type, ts)"}


def fill(engine: Engine, stations: int, per_day: int, days: int, last_day: date) -> int:
    """Stations and their events, in SQL; the number of events."""
    first = last_day - timedelta(days=days - 1)
    cycle = "ARRAY[" + ", ".join(f"'{t}'" for t in CYCLE) + "]"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO stations (id, name, command_key, added_at, online, sessions_missed, epoch) "
            "SELECT 'st-' || lpad(s::text, 5, '0'), 'Station ' || s, repeat('0', 64), now(), false, 0, 1 "
            "FROM generate_series(1, :n) AS s"), {"n": stations})
        conn.execute(text(
            f"""INSERT INTO events (id, station_id, epoch, seq, type, ts, received_at, data)
            SELECT md5(s::text || '-' || d::text || '-' || k::text), 'st-' || lpad(s::text, 5, '0'), 1,
                   d * :per_day + k + 1, ({cycle})[1 + k % {len(CYCLE)}],
                   to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'), at,
                   json_build_object('ticket_id', 't-' || s || '-' || d || '-' || (k / 2),
                                     'rating', 1 + k % 5, 'minutes', 30 + k % 90)
            FROM generate_series(1, :stations) AS s, generate_series(0, :days - 1) AS d,
                 generate_series(0, :per_day - 1) AS k,
                 LATERAL (SELECT ((:first)::date + d + time '08:30' + k * interval '10 seconds')
                          AT TIME ZONE 'Asia/Shanghai' AS at) AS moment
            ORDER BY at, s"""),
            {"stations": stations, "days": days, "per_day": per_day, "first": first})
        return conn.execute(text("SELECT count(*) FROM events")).scalar()


def use_index(engine: Engine, name: str) -> None:
    """Only the report's index `name` on events (the others stay as the migrations made them)."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_events_type"))
        conn.execute(text("DROP INDEX IF EXISTS ix_events_type_ts"))
        conn.execute(text(INDEXES[name]))
        conn.execute(text("ANALYZE events"))


def plan(engine: Engine, period: Period, station: str | None) -> tuple[float, str]:
    """The report's own event query (figures.events_query) run under EXPLAIN ANALYZE: PostgreSQL's execution
    time in seconds, and the scans it chose."""
    query = figures.events_query(station, period.since, period.until + timedelta(days=1))
    with reading(engine) as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        rows = conn.exec_driver_sql(f"EXPLAIN ANALYZE {sql}").scalars().all()
    scans = [line.strip().lstrip("-> ").split("  ")[0] for line in rows if "Scan" in line]
    ms = next(float(line.split(":")[1].split()[0]) for line in rows if line.startswith("Execution Time"))
    return ms / 1000, "; ".join(scans)


def timed(engine: Engine, period: Period, station: str | None, runs: int) -> tuple[float, int]:
    """Median seconds of a whole report, and its tickets (a check that it counted something)."""
    seconds, tickets = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with reading(engine) as conn:
            report = figures.build(conn, period, station)
        seconds.append(time.perf_counter() - started)
        tickets = report.total.tickets
    return statistics.median(seconds), tickets


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=100)
    p.add_argument("--per-day", type=int, default=100, help="events per station and day")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    postgres = Postgres().start()
    try:
        engine = open_engine(postgres.create_database())
        migrate.upgrade(engine)
        last_day = date.today().replace(day=1) - timedelta(days=1)          # the last whole month
        started = time.perf_counter()
        total = fill(engine, args.stations, args.per_day, args.days, last_day)
        print(f"district reports: {args.stations} stations × {args.per_day} events a day × {args.days} days = "
              f"{total:,} events (filled in {time.perf_counter() - started:.0f} s); the report of "
              f"{last_day:%Y-%m}, median of {args.runs}")
        month = Period(last_day.replace(day=1), last_day, "day", ZONE)
        print(f"{'index':<16} {'report':<12} {'tickets':>8} {'report s':>9} {'query s':>8}  plan of the query")
        for name in INDEXES:
            use_index(engine, name)
            for station in (None, "st-00001"):
                seconds, tickets = timed(engine, month, station, args.runs)
                query_s, scans = plan(engine, month, station)
                print(f"{name:<16} {station or 'district':<12} {tickets:>8,} {seconds:>9.2f} {query_s:>8.2f}  "
                      f"{scans}", flush=True)
        engine.dispose()
    finally:
        postgres.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
