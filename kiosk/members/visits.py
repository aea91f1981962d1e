"""Member check-in and check-out by card tap; volunteer time turned into points.

First tap: check in. Next tap: check out, and the visit's time earns points by
the district's rules (`[points]`): counted in whole steps of `round_minutes`,
nothing under `min_minutes`, at most `daily_cap` a day. A tap within
`repeat_seconds` of the last one changes nothing (a double tap only shows the
state again). A visit still open at closing time is checked out at closing
time, counting at most `auto_cap_minutes`, and flagged `auto`.
"""

from __future__ import annotations

import math
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..base import outbox, store
from ..base.clock import Clock, local_day, parse_time, rfc3339, utc_now
from ..config import Config
from ..config.offer import PointsSettings
from . import ledger
from .cards import Member


@dataclass(frozen=True)
class TapOutcome:
    kind: str                   # checked_in | checked_out | repeat | staff
    member: Member
    balance: int
    checked_in: bool            # the member is checked in after this tap
    minutes: int = 0            # of the visit just closed
    points: int = 0             # earned by the visit just closed
    short: bool = False         # the visit was under the rules' minimum: no points for it
    capped: bool = False        # the day's cap took some or all of the visit's points
    wait_s: int = 0             # a repeat: how long until a tap counts again


def visit_points(rules: PointsSettings, minutes: int, earned_today: int) -> int:
    """Points for one visit of `minutes`, given what the member already earned that day."""
    if minutes < rules.min_minutes or minutes <= 0:
        return 0
    counted = minutes // rules.round_minutes * rules.round_minutes
    points = int(counted / 60 * rules.per_hour)
    return max(0, min(points, rules.daily_cap - earned_today))


class Visits:
    """Check-in rules for one station; every method takes the caller's connection."""

    def __init__(self, config: Config, *, clock: Clock = utc_now) -> None:
        self.rules = config.points
        self.clock = clock
        self.zone = ZoneInfo(config.station.timezone)

    def tap(self, conn: sqlite3.Connection, member: Member) -> TapOutcome:
        """What a member's card tap means now, written with its events in one transaction."""
        now = self.clock()
        if member.role == "staff":
            return TapOutcome("staff", member, ledger.balance(conn, member.id), checked_in=False)
        with store.transaction(conn):
            self._close_forgotten(conn, now, member.id)
            visit = conn.execute("SELECT id, checked_in_at, checked_out_at FROM visits WHERE member_id = ? "
                                 "ORDER BY COALESCE(checked_out_at, checked_in_at) DESC LIMIT 1",
                                 (member.id,)).fetchone()
            if visit and (wait := self._repeat_wait(visit, now)) > 0:
                return TapOutcome("repeat", member, ledger.balance(conn, member.id),
                                  checked_in=visit["checked_out_at"] is None, wait_s=wait)
            if visit and visit["checked_out_at"] is None:
                minutes, points = self._check_out(conn, visit["id"], member.id, now, auto=False)
                full = visit_points(self.rules, minutes, 0)
                return TapOutcome("checked_out", member, ledger.balance(conn, member.id), checked_in=False,
                                  minutes=minutes, points=points, short=minutes < self.rules.min_minutes,
                                  capped=points < full)
            visit_id = str(uuid.uuid4())
            conn.execute("INSERT INTO visits (id, member_id, day, checked_in_at) VALUES (?, ?, ?, ?)",
                         (visit_id, member.id, self._day(now), rfc3339(now)))
            outbox.append(conn, "member.checked_in", {"member_id": member.id, "visit_id": visit_id},
                          ts=rfc3339(now))
            return TapOutcome("checked_in", member, ledger.balance(conn, member.id), checked_in=True)

    def close_forgotten(self, conn: sqlite3.Connection) -> int:
        """Check out every visit left open past closing time (the kiosk runs this every minute)."""
        with store.transaction(conn):
            return self._close_forgotten(conn, self.clock(), None)

    def _repeat_wait(self, visit: sqlite3.Row, now: datetime) -> int:
        """Seconds (rounded up) until a tap after this visit's last one counts; 0 or less: it counts now."""
        last = parse_time(visit["checked_out_at"] or visit["checked_in_at"])
        return math.ceil(self.rules.repeat_seconds - (now - last).total_seconds())

    def _day(self, moment: datetime) -> str:
        return local_day(moment, self.zone)

    def _closing(self, checked_in: datetime) -> datetime:
        """When a visit begun at `checked_in` is closed if nobody checks it out."""
        local = checked_in.astimezone(self.zone)
        closing = datetime.combine(local.date(), self.rules.closing_time, tzinfo=self.zone)
        return max(closing, local)

    def _close_forgotten(self, conn: sqlite3.Connection, now: datetime, member_id: str | None) -> int:
        query = "SELECT id, member_id, checked_in_at FROM visits WHERE checked_out_at IS NULL"
        rows = conn.execute(query + (" AND member_id = ?" if member_id else ""),
                            (member_id,) if member_id else ()).fetchall()
        closed = 0
        for row in rows:
            closing = self._closing(parse_time(row["checked_in_at"]))
            if now >= closing:
                self._check_out(conn, row["id"], row["member_id"], closing, auto=True)
                closed += 1
        return closed

    def _check_out(self, conn: sqlite3.Connection, visit_id: str, member_id: str, at: datetime, *,
                   auto: bool) -> tuple[int, int]:
        checked_in_at, day = conn.execute("SELECT checked_in_at, day FROM visits WHERE id = ?",
                                          (visit_id,)).fetchone()
        minutes = max(0, int((at - parse_time(checked_in_at)) / timedelta(minutes=1)))
        if auto:
            minutes = min(minutes, self.rules.auto_cap_minutes)
        earned = conn.execute("SELECT COALESCE(SUM(points), 0) FROM visits WHERE member_id = ? AND day = ?",
                              (member_id, day)).fetchone()[0]
        points = visit_points(self.rules, minutes, earned)
        conn.execute("UPDATE visits SET checked_out_at = ?, minutes = ?, points = ?, auto = ? WHERE id = ?",
                     (rfc3339(at), minutes, points, int(auto), visit_id))
        outbox.append(conn, "member.checked_out", {"member_id": member_id, "visit_id": visit_id, "minutes": minutes,
                                                   "points": points, "auto": auto}, ts=rfc3339(at))
        if points:
            ledger.add(conn, member_id, points, "volunteer_hours", key=f"visit:{visit_id}", author="system",
                       note=f"{minutes} min" + (" (auto check-out)" if auto else ""), now=at)
        return minutes, points
