"""The member register: add members and volunteers, give and replace cards, set roles and grids, deactivate.

The register is the district's: every station's roster is made from it
(district/members/rosters.py), so a change here reaches every station. A
card is held by one member at a time; a replaced, lost or deactivated
member's card is released, and the card history keeps who held it when.
A member who moved to another district stays in the register (their history
is the district's) but goes to no station and takes no task. Each change is
one transaction; a refusal names the rule and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from ..db.people import member_balances, member_cards, members
from ..errors import Refused
from ..points import ledger
from . import cards

ROLES = ("member", "volunteer", "staff")
MEMBER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}", re.ASCII)
SEED = "seed"
OPENING = "opening_balance"


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    grid: str
    card_uid: str | None
    district: str
    active: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivated_reason: str | None
    balance: int = 0

    @property
    def card_masked(self) -> str:
        return cards.mask(self.card_uid) if self.card_uid else ""


def problems(member_id: str, name: str, role: str, grid: str, card_uid: str | None) -> list[str]:
    """What is wrong with these fields, in the words of the stations' roster rules (empty: nothing)."""
    found = []
    if not MEMBER_ID.fullmatch(member_id or ""):
        found.append(f"member_id {member_id!r} is not 1-32 letters, digits, '-' or '_'")
    if not (name or "").strip() or len(name) > 64:
        found.append("a name is 1 to 64 characters")
    if role not in ROLES:
        found.append(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(grid or "") > 64:
        found.append("a grid is at most 64 characters")
    if card_uid and not cards.valid(card_uid):
        found.append(f"card_uid {cards.mask(card_uid)} is not 4-20 hex digits")
    return found


def add(conn: Connection, *, member_id: str, name: str, role: str, grid: str = "", card_uid: str | None = None,
        district: str, seed: int, by: str, now: datetime, opening: int | None = None) -> Member:
    """A new member of `district`, with `seed` points (or `opening`: their balance from before the register)."""
    card = cards.normalise(card_uid) if card_uid else None
    found = problems(member_id, name, role, grid, card)
    if found:
        raise Refused("not a valid member", found, code="bad_member")
    if get(conn, member_id) is not None:
        raise Refused(f"member {member_id} is already in the register", code="member_exists", member=member_id)
    if card:
        _card_free(conn, card, member_id)
    conn.execute(members.insert().values(id=member_id, name=name.strip(), role=role, grid=grid.strip(),
                                         card_uid=card, district=district, active=True, created_at=now,
                                         updated_at=now, updated_by=by))
    if card:
        conn.execute(member_cards.insert().values(member_id=member_id, card_uid=card, assigned_at=now, assigned_by=by))
    points, reason = (opening, OPENING) if opening is not None else (seed, SEED)
    if points and role != "staff":
        ledger.record_district_entry(conn, member_id, points, reason, author=by, now=now,
                                     note="new member" if reason == SEED else "balance before the register")
    return _need(conn, member_id)


def update(conn: Connection, member_id: str, *, name: str, role: str, grid: str, by: str, now: datetime) -> Member:
    """A new name, role or grid."""
    current = _need(conn, member_id)
    found = problems(member_id, name, role, grid, None)
    if found:
        raise Refused("not a valid member", found, code="bad_member")
    conn.execute(members.update().where(members.c.id == current.id).values(
        name=name.strip(), role=role, grid=grid.strip(), updated_at=now, updated_by=by))
    return _need(conn, member_id)


def give_card(conn: Connection, member_id: str, card_uid: str | None, *, why: str, by: str, now: datetime) -> Member:
    """Give a member a card (a first one, or one replacing theirs: `why` = replaced | lost), or none."""
    current = _need(conn, member_id)
    if not current.active:
        raise Refused(f"member {member_id} is deactivated", code="member_inactive", member=member_id)
    card = cards.normalise(card_uid) if card_uid else None
    if card and not cards.valid(card):
        raise Refused("not a card UID", [f"card_uid {cards.mask(card)} is not 4-20 hex digits"], code="bad_member")
    if card == current.card_uid:
        return current
    if card:
        _card_free(conn, card, member_id)
    _release(conn, current, why, by, now)
    conn.execute(members.update().where(members.c.id == member_id).values(card_uid=card, updated_at=now,
                                                                           updated_by=by))
    if card:
        conn.execute(member_cards.insert().values(member_id=member_id, card_uid=card, assigned_at=now, assigned_by=by))
    return _need(conn, member_id)


def deactivate(conn: Connection, member_id: str, reason: str, *, by: str, now: datetime) -> Member:
    """No longer a member at any station (their card released, their history kept)."""
    current = _need(conn, member_id)
    if not current.active:
        raise Refused(f"member {member_id} is already deactivated", code="member_inactive", member=member_id)
    if not (reason or "").strip():
        raise Refused("say why the member is deactivated", code="no_reason")
    _release(conn, current, "deactivated", by, now)
    conn.execute(members.update().where(members.c.id == member_id).values(
        active=False, card_uid=None, deactivated_at=now, deactivated_reason=reason.strip()[:200], updated_at=now,
        updated_by=by))
    return _need(conn, member_id)


def reactivate(conn: Connection, member_id: str, *, by: str, now: datetime) -> Member:
    current = _need(conn, member_id)
    conn.execute(members.update().where(members.c.id == current.id).values(
        active=True, deactivated_at=None, deactivated_reason=None, updated_at=now, updated_by=by))
    return _need(conn, member_id)


def move(conn: Connection, member_id: str, district: str, *, by: str, now: datetime) -> Member:
    """The member now belongs to another district: off every roster here, no tasks; history kept."""
    current = _need(conn, member_id)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", district or ""):
        raise Refused("not a district id", [f"{district!r}: a-z, 0-9 and -"], code="bad_member")
    _release(conn, current, "moved", by, now)
    conn.execute(members.update().where(members.c.id == member_id).values(district=district, card_uid=None,
                                                                           updated_at=now, updated_by=by))
    return _need(conn, member_id)


def holder(conn: Connection, card_uid: str) -> str | None:
    """The member holding this card now, if any."""
    return conn.execute(select(members.c.id).where(members.c.card_uid == cards.normalise(card_uid))).scalar()


def _card_free(conn: Connection, card: str, member_id: str) -> None:
    holder = conn.execute(select(members.c.id).where(members.c.card_uid == card, members.c.id != member_id)).first()
    if holder:
        raise Refused(f"card {cards.mask(card)} belongs to member {holder.id}", code="card_taken",
                      card=cards.mask(card), holder=holder.id)


def _release(conn: Connection, current: Member, why: str, by: str, now: datetime) -> None:
    if current.card_uid:
        conn.execute(member_cards.update().where(member_cards.c.member_id == current.id,
                                                 member_cards.c.card_uid == current.card_uid,
                                                 member_cards.c.released_at.is_(None))
                     .values(released_at=now, released_by=by, released_why=why))


def get(conn: Connection, member_id: str) -> Member | None:
    row = conn.execute(_select().where(members.c.id == member_id)).first()
    return _member(row) if row else None


def _need(conn: Connection, member_id: str) -> Member:
    found = get(conn, member_id)
    if found is None:
        raise Refused(f"no member {member_id!r} in the register", code="unknown_member", member=member_id)
    return found


def _select():
    return (select(members, func.coalesce(member_balances.c.balance, 0).label("balance"))
            .select_from(members.outerjoin(member_balances, member_balances.c.member_id == members.c.id)))


def _member(row: Any) -> Member:
    return Member(row.id, row.name, row.role, row.grid, row.card_uid, row.district, bool(row.active),
                  row.created_at, row.updated_at, row.deactivated_at, row.deactivated_reason, int(row.balance))


def listing(conn: Connection, *, text: str = "", role: str = "", grid: str = "", district: str | None = None,
            active: bool | None = True, limit: int = 500) -> list[Member]:
    """Members by id; `text` matches id or name, `district` the home district (None: any)."""
    query = _select().order_by(members.c.id).limit(limit)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(or_(members.c.id.ilike(like), members.c.name.ilike(like)))
    if role:
        query = query.where(members.c.role == role)
    if grid:
        query = query.where(members.c.grid == grid)
    if district is not None:
        query = query.where(members.c.district == district)
    if active is not None:
        query = query.where(members.c.active.is_(active))
    return [_member(r) for r in conn.execute(query)]


def card_history(conn: Connection, member_id: str) -> list[Any]:
    return list(conn.execute(select(member_cards).where(member_cards.c.member_id == member_id)
                             .order_by(member_cards.c.assigned_at.desc(), member_cards.c.id.desc())))


def grids(conn: Connection) -> list[str]:
    return [g for g in conn.execute(select(members.c.grid).distinct().order_by(members.c.grid)).scalars() if g]


def for_task(conn: Connection, member_id: str, district: str) -> Member:
    """The member a task may go to: in the register, of this district, active, not staff; else Refused."""
    member = _need(conn, member_id)
    if member.district != district:
        raise Refused(f"member {member_id} belongs to district {member.district}", code="other_district",
                      member=member_id, district=member.district)
    if not member.active:
        raise Refused(f"member {member_id} is deactivated", code="member_inactive", member=member_id)
    if member.role == "staff":
        raise Refused(f"{member_id} is staff, not a member or volunteer", code="member_is_staff", member=member_id)
    return member
