"""Each station's roster, made from the register, with the district's balances as of that station's events.

A station shows a member's balance as the district's snapshot plus its own
entries written after the snapshot's `as_of_seq` (kiosk/members/ledger.py).
So the roster for station X says, per member: every counted entry of the
district except X's own entries after X's contiguous position (what the hub
holds of X without a hole, in X's current epoch), and `as_of_seq` is that
position. The station then adds exactly the entries the district has not
counted, and every station shows the same balance once the hub holds all
their events and they have the roster made after that.

A roster goes to a station only when what it says beyond the station's own
entries changed (members, cards, roles, grids, other stations' entries, the
district's entries) or the station's epoch did: its own spending and earning
it already shows. One more case: the station's own seed entries, which the
district does not count (district/points/ledger.py), once the hub holds
those the last roster's `as_of_seq` left to the station. `roster_state` keeps the digest of the last one; the
station's row is locked while a roster is made, so two hub workers make it
once. Rosters made here replace each other: older ones of a station are
forgotten (the documents page keeps the last few).

A round (`Round`) looks at every station only when what all rosters are made
of changed since its last look (the register, the ledger) and at least every
`FULL_WALK_S`; otherwise only at the stations with a reason of their own (a
first birth, a new epoch, seeds now held): with 10,000 stations a look at
every one is 10,000 transactions, each locking a station row that ingest
also locks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine

from .. import documents
from ..db.engine import reading, writing
from ..db.people import ledger as ledger_table
from ..db.people import member_balances, members, roster_state
from ..db.schema import documents as documents_table
from ..db.schema import positions, stations
from ..points import ledger
from . import register

log = logging.getLogger("district.rosters")
AUTHOR = "register"          # created_by of the rosters made here
KEEP = 3                     # rosters of a station kept in the documents table
FULL_WALK_S = 300.0          # every station looked at this often even when nothing seemed to change


@dataclass(frozen=True)
class Made:
    station: str
    version: int
    members: int
    as_of_seq: int


def position_of(conn: Connection, station: Any) -> tuple[int, int]:
    """(epoch, upto_seq): how far the hub holds the station's current epoch without a hole (0 if never seen)."""
    epoch = station.epoch if station.epoch is not None else 0
    upto = conn.execute(select(positions.c.upto_seq).where(positions.c.station_id == station.id,
                                                          positions.c.epoch == epoch)).scalar()
    return epoch, int(upto or 0)


def content(conn: Connection, station: Any, district: str) -> tuple[list[dict[str, Any]], int, str]:
    """(the roster's members with balances, as_of_seq, digest of what it says beyond the station itself)."""
    epoch, upto = position_of(conn, station)      # first: the sums read after it can only be newer
    people = register.listing(conn, district=district, active=True, limit=1_000_000)
    totals = ledger.balances(conn, [m.id for m in people]) if people else {}
    own = ledger.of_station(conn, station.id)
    later = ledger.beyond(conn, station.id, epoch, upto)
    roster, outside = [], []
    for m in people:
        entry: dict[str, Any] = {"member_id": m.id, "name": m.name, "role": m.role,
                                 "balance": totals.get(m.id, 0) - later.get(m.id, 0)}
        if m.card_uid:
            entry["card_uid"] = m.card_uid
        if m.grid:
            entry["grid"] = m.grid
        roster.append(entry)
        outside.append([m.id, m.name, m.role, m.grid, m.card_uid, totals.get(m.id, 0) - own.get(m.id, 0)])
    digest = hashlib.sha256(json.dumps([epoch, outside], ensure_ascii=False).encode()).hexdigest()
    return roster, upto, digest


def make(conn: Connection, station_id: str, district: str, now: datetime) -> Made | None:
    """A new roster document for the station if what it says changed; None when nothing did (or no members)."""
    station = conn.execute(select(stations).where(stations.c.id == station_id, stations.c.removed_at.is_(None))
                           .with_for_update()).first()
    if station is None or station.epoch is None:       # never born: its roster follows its first birth
        return None
    roster, as_of, digest = content(conn, station, district)
    state = conn.execute(select(roster_state).where(roster_state.c.station_id == station_id)).first()
    if not roster or (state is not None and state.digest == digest and not _seeds_counted_twice(conn, state, as_of)):
        return None
    doc = documents.publish(conn, "roster", roster, target=station_id, by=AUTHOR, now=now,
                            extra={"as_of_seq": as_of})
    values = {"digest": digest, "epoch": station.epoch, "version": doc.version, "as_of_seq": as_of, "built_at": now}
    if state is None:
        conn.execute(roster_state.insert().values(station_id=station_id, **values))
    else:
        conn.execute(roster_state.update().where(roster_state.c.station_id == station_id).values(**values))
    _forget_older(conn, station_id, doc.version)
    return Made(station_id, doc.version, len(roster), as_of)


def _seeds_counted_twice(conn: Connection, state: Any, as_of: int) -> bool:
    """The station adds its own uncounted entries (its seeds) written after the last roster's as_of_seq;
    once the hub holds them without a hole, a roster with the newer as_of_seq takes them out again."""
    if state.as_of_seq >= as_of:
        return False
    return conn.execute(select(ledger_table.c.id).where(
        ledger_table.c.station_id == state.station_id, ledger_table.c.epoch == (state.epoch or 0),
        ledger_table.c.counts.is_(False), ledger_table.c.seq > state.as_of_seq, ledger_table.c.seq <= as_of)
        .limit(1)).first() is not None


def _forget_older(conn: Connection, station_id: str, version: int) -> None:
    kept = conn.execute(select(documents_table.c.version).where(
        documents_table.c.kind == "roster", documents_table.c.target == station_id,
        documents_table.c.created_by == AUTHOR).order_by(documents_table.c.version.desc()).limit(KEEP)).scalars().all()
    if len(kept) == KEEP:
        conn.execute(documents_table.delete().where(
            documents_table.c.kind == "roster", documents_table.c.target == station_id,
            documents_table.c.created_by == AUTHOR, documents_table.c.version < kept[-1]))


def make_all(engine: Engine, district: str, now: datetime) -> list[Made]:
    """Make every station's roster that changed, one station per transaction."""
    with reading(engine) as conn:
        ids = conn.execute(select(stations.c.id).where(stations.c.removed_at.is_(None)).order_by(stations.c.id)) \
            .scalars().all()
    return _make_each(engine, ids, district, now)


class Inputs(NamedTuple):
    """A few figures that change whenever what every roster is made of does."""
    active_members: int          # the district's active members (none: no roster is made, none is sent empty)
    register_size: int
    register_changed: Any        # the latest members.updated_at
    ledger_entries: int          # the running sums' entry count: +1 with every ledger entry's commit


class Round:
    """The rosters round of one hub worker: `run` makes what changed, looking at every station only when the
    district's inputs changed since its last full look (or `FULL_WALK_S` passed)."""

    def __init__(self, district: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.district, self.clock = district, clock
        self.seen: Inputs | None = None
        self.walked_at = float("-inf")

    def run(self, engine: Engine, now: datetime) -> list[Made]:
        with reading(engine) as conn:
            figures = inputs(conn, self.district)
            full = figures != self.seen or self.clock() - self.walked_at >= FULL_WALK_S
            own = [] if not figures.active_members else None if full else own_reasons(conn)
        if own is not None:
            return _make_each(engine, own, self.district, now)
        made = make_all(engine, self.district, now)
        self.seen, self.walked_at = figures, self.clock()
        return made


def inputs(conn: Connection, district: str) -> Inputs:
    """The register (its active members, size and last change) and the ledger's size, read from the running
    sums' entry counts (kept with every entry: members are read, not ledger rows). Read before a full look, so
    anything committed after it shows in the next reading."""
    active = conn.execute(select(func.count()).select_from(members)
                          .where(members.c.district == district, members.c.active.is_(True))).scalar()
    register_size, changed = conn.execute(select(func.count(), func.max(members.c.updated_at))).one()
    entries = conn.execute(select(func.coalesce(func.sum(member_balances.c.entries), 0))).scalar()
    return Inputs(int(active), int(register_size), changed, int(entries))


def own_reasons(conn: Connection) -> list[str]:
    """Stations whose roster may be due whatever the register and ledger did: born but never sent one, a new
    epoch, or their own seeds now held without a hole past the last roster's `as_of_seq`."""
    s, r, p, led = stations, roster_state, positions, ledger_table
    seeds = select(led.c.id).where(led.c.station_id == s.c.id, led.c.epoch == func.coalesce(r.c.epoch, 0),
                                   led.c.counts.is_(False), led.c.seq > r.c.as_of_seq,
                                   led.c.seq <= p.c.upto_seq).exists()
    joined = s.outerjoin(r, r.c.station_id == s.c.id).outerjoin(p, (p.c.station_id == s.c.id) &
                                                                 (p.c.epoch == s.c.epoch))
    return list(conn.execute(select(s.c.id).select_from(joined).where(
        s.c.removed_at.is_(None), s.c.epoch.is_not(None),
        or_(r.c.station_id.is_(None), r.c.epoch.is_distinct_from(s.c.epoch), seeds)).order_by(s.c.id)).scalars())


def _make_each(engine: Engine, ids: list[str], district: str, now: datetime) -> list[Made]:
    made = []
    for station_id in ids:
        with writing(engine) as conn:
            one = make(conn, station_id, district, now)
        if one:
            log.info("roster v%d for %s: %d members, balances as of seq %d", one.version, one.station, one.members,
                     one.as_of_seq)
            made.append(one)
    return made


def state_of(conn: Connection, station_id: str) -> Any:
    return conn.execute(select(roster_state).where(roster_state.c.station_id == station_id)).first()
