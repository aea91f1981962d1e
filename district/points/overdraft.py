"""Overdrafts: two stations, both offline, each let a member spend a balance that was only there once.

Each station checks a spend against its own snapshot, so neither refused it;
the district sees it when the second spend arrives: a deduction the station
made with a balance of zero or more after it (`balance_after`), that leaves
the district balance below zero. The deficit is what this spend took beyond
the balance (at most the spend itself). It is recorded, flagged on the
console until staff mark it seen, and dealt with by `balances.overdraft`:

- `allow` (allow and flag): the district writes the deficit off with an
  `overdraft_written_off` entry, so the member is back at zero and keeps what
  they redeemed;
- `claw_back`: no entry is written: the balance stays below zero, so the
  member cannot redeem until their next points have paid the deficit back
  (the stations refuse a redemption beyond the balance). The overdraft reads
  as recovered once the balance is zero or more.

Penalties a station may take below zero on purpose (`allow_negative` items,
an overdue umbrella) are not overdrafts: the station itself reported a
negative balance after them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..db.people import member_balances, overdrafts
from ..errors import Refused
from . import ledger

WRITTEN_OFF = "overdraft_written_off"


@dataclass(frozen=True)
class Overdraft:
    id: int
    member_id: str
    deficit: int
    balance: int
    rule: str
    station_id: str
    entry_id: str
    adjustment_id: str | None
    detected_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    recovered: bool = False


def check(conn: Connection, recorded: ledger.Recorded, rule: str, now: datetime) -> Overdraft | None:
    """After a station entry is recorded: an overdraft it caused, dealt with by `rule`, or None."""
    spent = -recorded.amount
    if spent <= 0 or recorded.station_balance is None or recorded.station_balance < 0 or recorded.balance >= 0:
        return None
    deficit = min(-recorded.balance, spent)
    adjustment = None
    if rule == "allow":
        adjustment = ledger.record_district_entry(
            conn, recorded.member_id, deficit, WRITTEN_OFF, author="district", now=now,
            note=f"{recorded.station_id}: spent {spent} with {deficit} more than the district balance").entry_id
    row_id = conn.execute(overdrafts.insert().values(
        member_id=recorded.member_id, deficit=deficit, balance=recorded.balance, rule=rule,
        station_id=recorded.station_id, entry_id=recorded.entry_id, adjustment_id=adjustment, detected_at=now)
        .returning(overdrafts.c.id)).scalar_one()
    return Overdraft(row_id, recorded.member_id, deficit, recorded.balance, rule, recorded.station_id or "",
                     recorded.entry_id, adjustment, now, None, None)


def listing(conn: Connection, *, open_only: bool = False, member_id: str | None = None,
            limit: int = 200) -> list[Overdraft]:
    """Overdrafts, newest first; `open_only`: not yet marked seen by staff."""
    query = (select(overdrafts, member_balances.c.balance.label("now_balance"))
             .select_from(overdrafts.outerjoin(member_balances, member_balances.c.member_id == overdrafts.c.member_id))
             .order_by(overdrafts.c.detected_at.desc(), overdrafts.c.id.desc()).limit(limit))
    if open_only:
        query = query.where(overdrafts.c.reviewed_at.is_(None))
    if member_id:
        query = query.where(overdrafts.c.member_id == member_id)
    return [_overdraft(r) for r in conn.execute(query)]


def _overdraft(r: Any) -> Overdraft:
    recovered = r.rule == "allow" or (r.now_balance or 0) >= 0
    return Overdraft(r.id, r.member_id, int(r.deficit), int(r.balance), r.rule, r.station_id, r.entry_id,
                     r.adjustment_id, r.detected_at, r.reviewed_at, r.reviewed_by, recovered)


def review(conn: Connection, overdraft_id: int, *, by: str, now: datetime) -> None:
    """Staff have seen it: the flag on the console goes (the entries stay as they are)."""
    done = conn.execute(overdrafts.update().where(overdrafts.c.id == overdraft_id, overdrafts.c.reviewed_at.is_(None))
                        .values(reviewed_at=now, reviewed_by=by))
    if done.rowcount != 1:
        raise Refused(f"no open overdraft {overdraft_id}", code="no_overdraft", id=overdraft_id)
