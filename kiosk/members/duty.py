"""Staff duty (值班) from the staff themselves: a card tap at the start of duty and another at its end.

The guide shows who is on duty now; the day's report adds each one's duty
hours; the district sees staffing through `staff.on_duty` / `staff.off_duty`,
written in the transaction that records the tap. Only a staff card counts. A
second tap within `REPEAT_S` of the last change only shows the state again (a
double tap must not end a duty just begun). A duty still open when its local
day is over was not ended by a tap: the station ends it at that day's closing
time (the end of the station's last opening period, or midnight when the duty
began after it), flagged `auto`.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..base import outbox, store
from ..base.clock import Clock, local_day, parse_time, rfc3339, utc_now
from ..base.errors import Refusal
from ..config import Config
from ..tickets.opening import Hours
from . import cards
from .cards import Member

REPEAT_S = 60


class DutyError(Refusal):
    """A duty tap refused: the card is nobody's (`unknown_card`) or not a staff card (`not_staff`)."""

    default_status = 403


@dataclass(frozen=True)
class Shift:
    id: str
    member_id: str
    name: str
    started_at: str
    ended_at: str | None
    auto: bool

    def minutes(self, now: datetime) -> int:
        end = parse_time(self.ended_at) if self.ended_at else now
        return max(0, int((end - parse_time(self.started_at)).total_seconds() // 60))


@dataclass(frozen=True)
class DutyTap:
    kind: str                   # on_duty | off_duty | repeat
    member: Member
    shift: Shift

    @property
    def on_duty(self) -> bool:
        return self.shift.ended_at is None


@dataclass(frozen=True)
class DutyHours:
    """One staff member's duty on one day, for the report."""
    member_id: str
    name: str
    first_on: str
    last_off: str | None        # None: still on duty
    minutes: int
    shifts: int


_COLUMNS = "d.id, d.member_id, m.name, d.started_at, d.ended_at, d.auto"


def _shift(row: sqlite3.Row | tuple) -> Shift:
    return Shift(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


class Duty:
    """Duty rules for one station; every method takes the caller's connection."""

    def __init__(self, config: Config, *, clock: Clock = utc_now) -> None:
        self.zone = ZoneInfo(config.station.timezone)
        self.hours = Hours(config.queue.schedule, self.zone)
        self.clock = clock

    def tap(self, conn: sqlite3.Connection, uid: str) -> DutyTap:
        """A card tapped on the duty screen: start or end this staff member's duty, with its event."""
        member = cards.find_by_card(conn, uid)
        if member is None:
            raise DutyError("unknown_card", f"card {cards.mask_uid(uid)} is not registered")
        if member.role != "staff":
            raise DutyError("not_staff", f"{member.id} is not staff: only a staff card records duty")
        now = self.clock()
        with store.transaction(conn):
            self._end_forgotten(conn, now, member.id)
            last = conn.execute(f"SELECT {_COLUMNS} FROM duty d JOIN members m ON m.id = d.member_id "
                                "WHERE d.member_id = ? ORDER BY COALESCE(d.ended_at, d.started_at) DESC LIMIT 1",
                                (member.id,)).fetchone()
            if last is not None:
                shift = _shift(last)
                changed = parse_time(shift.ended_at or shift.started_at)
                if (now - changed).total_seconds() < REPEAT_S:
                    return DutyTap("repeat", member, shift)
                if shift.ended_at is None:
                    return DutyTap("off_duty", member, self._end(conn, shift, now, auto=False))
            shift_id = str(uuid.uuid4())
            conn.execute("INSERT INTO duty (id, member_id, day, started_at) VALUES (?, ?, ?, ?)",
                         (shift_id, member.id, local_day(now, self.zone), rfc3339(now)))
            outbox.append(conn, "staff.on_duty", {"member_id": member.id, "duty_id": shift_id,
                                                  "started_at": rfc3339(now)}, ts=rfc3339(now))
            return DutyTap("on_duty", member, self._get(conn, shift_id))

    def on_duty(self, conn: sqlite3.Connection) -> list[Shift]:
        """Who is on duty now: duties begun today and not ended, earliest first."""
        rows = conn.execute(f"SELECT {_COLUMNS} FROM duty d JOIN members m ON m.id = d.member_id "
                            "WHERE d.ended_at IS NULL AND d.day = ? ORDER BY d.started_at",
                            (local_day(self.clock(), self.zone),)).fetchall()
        return [_shift(r) for r in rows]

    def recorded(self, conn: sqlite3.Connection, day: str | None = None) -> bool:
        """Did any staff member record duty on this local day (default today)?"""
        return conn.execute("SELECT 1 FROM duty WHERE day = ? LIMIT 1",
                            (day or local_day(self.clock(), self.zone),)).fetchone() is not None

    def day_hours(self, conn: sqlite3.Connection, day: str) -> list[DutyHours]:
        """Each staff member's duty on a local day: first on, last off, minutes (an open duty counts to now)."""
        now, found = self.clock(), {}
        rows = conn.execute(f"SELECT {_COLUMNS} FROM duty d JOIN members m ON m.id = d.member_id "
                            "WHERE d.day = ? ORDER BY d.started_at", (day,)).fetchall()
        for shift in map(_shift, rows):
            seen = found.get(shift.member_id)
            if seen is None:
                found[shift.member_id] = DutyHours(shift.member_id, shift.name, shift.started_at, shift.ended_at,
                                                   shift.minutes(now), 1)
                continue
            last_off = None if seen.last_off is None or shift.ended_at is None else max(seen.last_off, shift.ended_at)
            found[shift.member_id] = DutyHours(seen.member_id, seen.name, seen.first_on, last_off,
                                               seen.minutes + shift.minutes(now), seen.shifts + 1)
        return list(found.values())

    def end_forgotten(self, conn: sqlite3.Connection) -> int:
        """End every duty left open from an earlier day (the kiosk runs this every minute)."""
        with store.transaction(conn):
            return self._end_forgotten(conn, self.clock())

    # -- inside a transaction -------------------------------------------------
    def _end_forgotten(self, conn: sqlite3.Connection, now: datetime, member_id: str | None = None) -> int:
        rows = conn.execute(f"SELECT {_COLUMNS}, d.day FROM duty d JOIN members m ON m.id = d.member_id "
                            "WHERE d.ended_at IS NULL AND d.day < ? AND (? IS NULL OR d.member_id = ?)",
                            (local_day(now, self.zone), member_id, member_id)).fetchall()
        for row in rows:
            shift = _shift(row)
            self._end(conn, shift, self._closing(date.fromisoformat(row[6]), parse_time(shift.started_at)),
                      auto=True, ts=now)
        return len(rows)

    def _closing(self, day: date, started: datetime) -> datetime:
        """When a forgotten duty is ended: the station's closing that day, or midnight if it began later."""
        periods = self.hours.day(day).periods
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=self.zone)
        closing = self.hours.at(day, periods[-1][1]) if periods else midnight
        return closing if closing > started else midnight

    def _end(self, conn: sqlite3.Connection, shift: Shift, ended: datetime, *, auto: bool,
             ts: datetime | None = None) -> Shift:
        conn.execute("UPDATE duty SET ended_at = ?, auto = ? WHERE id = ?", (rfc3339(ended), int(auto), shift.id))
        done = self._get(conn, shift.id)
        outbox.append(conn, "staff.off_duty", {
            "member_id": shift.member_id, "duty_id": shift.id, "started_at": shift.started_at,
            "ended_at": done.ended_at, "minutes": done.minutes(ended), "auto": auto}, ts=rfc3339(ts or ended))
        return done

    def _get(self, conn: sqlite3.Connection, shift_id: str) -> Shift:
        return _shift(conn.execute(f"SELECT {_COLUMNS} FROM duty d JOIN members m ON m.id = d.member_id "
                                   "WHERE d.id = ?", (shift_id,)).fetchone())
