"""The district's points ledger: every station's `points.entry` once, and the district's own entries.

A balance is the sum of a member's counted entries, whichever station wrote
them. Station entries arrive through ingest (once: unique by entry id and by
event id, so a re-sent or replayed event adds nothing); the district writes
its own (a new member's seed, staff adjustments, an overdraft written off).
Each entry and the running sums (`member_balances`, `station_points`) are
written in one transaction, the member's sum row locked first (`FOR UPDATE`
on PostgreSQL; SQLite's BEGIN IMMEDIATE locks the file), so two hub workers
never both read the old balance.

A station's own `seed` entries are kept but do not count: the district gives
a member their base points itself (`balances.new_member`), and a station
seeds only members it learnt of without a district balance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kiosk.base.clock import rfc3339

from ..db.engine import upsert_insert
from ..db.people import ledger, member_balances, station_points

NOT_COUNTED = ("seed",)          # station reasons the district does not count (see above)


@dataclass(frozen=True)
class Recorded:
    """An entry just written, with the member's district balance after it."""
    entry_id: str
    member_id: str
    amount: int
    reason: str
    station_id: str | None
    station_balance: int | None
    balance: int


def parse_ts(text: str) -> datetime | None:
    """A station's RFC 3339 time as an aware moment; None when it is not one."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def record_station_entry(conn: Connection, station: str, event: dict[str, Any], now: datetime) -> Recorded | None:
    """A station's `points.entry` event into the ledger; None if its entry is already there."""
    data = event["data"]
    counts = data["reason"] not in NOT_COUNTED
    values = {"entry_id": data["entry_id"], "member_id": data["member_id"], "amount": int(data["amount"]),
              "reason": data["reason"], "source": "station", "station_id": station,
              "epoch": int(event.get("epoch", 0)), "seq": int(event["seq"]), "event_id": event["id"],
              "ts": event["ts"], "at": parse_ts(event["ts"]) or now, "recorded_at": now,
              "author": str(data.get("author", ""))[:64], "note": str(data.get("note", "")),
              "station_balance": data.get("balance_after"), "counts": counts}
    inserted = conn.execute(upsert_insert(conn, ledger).values(**values).on_conflict_do_nothing()
                            .returning(ledger.c.id)).first()
    if inserted is None:
        return None
    balance = _add(conn, values["member_id"], values["amount"] if counts else 0, now, station=station)
    return Recorded(values["entry_id"], values["member_id"], values["amount"], values["reason"], station,
                    values["station_balance"], balance)


def record_district_entry(conn: Connection, member_id: str, amount: int, reason: str, *, author: str, note: str,
                          now: datetime, entry_id: str | None = None) -> Recorded:
    """An entry written by the district itself (seed, adjustment, overdraft); its id is a new uuid."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValueError(f"an entry moves a whole, non-zero number of points, not {amount!r}")
    entry_id = entry_id or str(uuid.uuid4())
    conn.execute(ledger.insert().values(
        entry_id=entry_id, member_id=member_id, amount=amount, reason=reason, source="district", ts=rfc3339(now),
        at=now, recorded_at=now, author=author[:64], note=note, counts=True))
    return Recorded(entry_id, member_id, amount, reason, None, None, _add(conn, member_id, amount, now))


def _add(conn: Connection, member_id: str, amount: int, now: datetime, *, station: str | None = None) -> int:
    """Add to the member's running sum (its row locked) and the station's; the balance after."""
    conn.execute(upsert_insert(conn, member_balances).values(member_id=member_id, balance=0, entries=0,
                                                             updated_at=now).on_conflict_do_nothing())
    row = conn.execute(select(member_balances.c.balance, member_balances.c.entries)
                       .where(member_balances.c.member_id == member_id).with_for_update()).one()
    conn.execute(member_balances.update().where(member_balances.c.member_id == member_id).values(
        balance=row.balance + amount, entries=row.entries + 1, updated_at=now))
    if station is not None and amount:
        stmt = upsert_insert(conn, station_points).values(station_id=station, member_id=member_id, amount=amount)
        conn.execute(stmt.on_conflict_do_update(index_elements=["station_id", "member_id"],
                                                set_={"amount": station_points.c.amount + amount}))
    return int(row.balance + amount)


def balance(conn: Connection, member_id: str) -> int:
    return int(conn.execute(select(member_balances.c.balance).where(member_balances.c.member_id == member_id))
               .scalar() or 0)


def balances(conn: Connection, member_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Each member's district balance (all members with an entry when no ids are given)."""
    query = select(member_balances.c.member_id, member_balances.c.balance)
    if member_ids is not None:
        ids = list(member_ids)
        if not ids:
            return {}
        query = query.where(member_balances.c.member_id.in_(ids))
    return {r.member_id: int(r.balance) for r in conn.execute(query)}


def of_station(conn: Connection, station: str) -> dict[str, int]:
    """What each member's counted entries written at `station` add up to."""
    rows = conn.execute(select(station_points.c.member_id, station_points.c.amount)
                        .where(station_points.c.station_id == station))
    return {r.member_id: int(r.amount) for r in rows}


def beyond(conn: Connection, station: str, epoch: int, upto_seq: int) -> dict[str, int]:
    """The station's counted entries of `epoch` after `upto_seq` (stored beyond a gap), per member."""
    rows = conn.execute(select(ledger.c.member_id, func.sum(ledger.c.amount).label("amount"))
                        .where(ledger.c.station_id == station, ledger.c.epoch == epoch, ledger.c.seq > upto_seq,
                               ledger.c.counts.is_(True))
                        .group_by(ledger.c.member_id))
    return {r.member_id: int(r.amount) for r in rows}


@dataclass(frozen=True)
class Line:
    """One line of a member's statement: the entry and the balance after it, in time order."""
    entry_id: str
    at: datetime
    amount: int
    reason: str
    source: str
    station_id: str | None
    author: str
    note: str
    counts: bool
    balance: int


def statement(conn: Connection, member_id: str, *, limit: int = 200) -> list[Line]:
    """The member's entries across every station and the district, newest first, each with its running
    balance (counted entries in the order they were written, by the writer's clock)."""
    rows = conn.execute(select(ledger).where(ledger.c.member_id == member_id).order_by(ledger.c.at, ledger.c.id))
    running, lines = 0, []
    for r in rows:
        running += r.amount if r.counts else 0
        lines.append(Line(r.entry_id, r.at, int(r.amount), r.reason, r.source, r.station_id, r.author, r.note,
                          bool(r.counts), running))
    return lines[::-1][:limit]
