"""The roster: members, volunteers and staff known to this station by card.

Card UIDs are personal data: they are stored to recognise a card, and shown
or logged only through `mask_uid`.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

ROLES = ("member", "volunteer", "staff")


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    grid: str
    base_points: int


def mask_uid(uid: str) -> str:
    """A card UID safe for logs, events and screens: its last four characters at most."""
    uid = uid.strip()
    return "…" + uid[-4:] if len(uid) > 4 else "…"


CARD_UID = re.compile(r"[0-9A-F]{4,20}", re.ASCII)    # what the readers send, once normalised


def normalise_uid(uid: str) -> str:
    """Card UIDs compare upper-case without spaces, whatever reader sent them."""
    return "".join(uid.split()).upper()


def find_by_card(conn: sqlite3.Connection, uid: str) -> Member | None:
    """The active member holding this card, or None for an unknown card."""
    row = conn.execute("SELECT id, name, role, grid, base_points FROM members "
                       "WHERE card_uid = ? AND active = 1", (normalise_uid(uid),)).fetchone()
    return Member(*row) if row else None


def put(conn: sqlite3.Connection, member: Member, card_uid: str | None) -> None:
    """Add or update one member (caller's transaction); a card moves with the member."""
    conn.execute(
        "INSERT INTO members (id, card_uid, name, role, grid, base_points) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET card_uid = excluded.card_uid, name = excluded.name, "
        "role = excluded.role, grid = excluded.grid, base_points = excluded.base_points, active = 1",
        (member.id, normalise_uid(card_uid) if card_uid else None, member.name, member.role,
         member.grid, member.base_points))


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM members WHERE active = 1").fetchone()[0]


def roster_with_cards(conn: sqlite3.Connection) -> list[tuple[Member, str]]:
    """Every active member with a card, with the UID masked: for the simulator panel's tap buttons."""
    rows = conn.execute("SELECT id, name, role, grid, base_points, card_uid FROM members "
                        "WHERE active = 1 AND card_uid IS NOT NULL ORDER BY id").fetchall()
    return [(Member(*r[:5]), mask_uid(r[5])) for r in rows]


def card_of(conn: sqlite3.Connection, member_id: str) -> str | None:
    """The card UID of an active member (the simulator taps it for a button that names only the member)."""
    row = conn.execute("SELECT card_uid FROM members WHERE id = ? AND active = 1", (member_id,)).fetchone()
    return row[0] if row else None


def by_id(conn: sqlite3.Connection, member_id: str) -> Member | None:
    """The active member with this id, or None."""
    row = conn.execute("SELECT id, name, role, grid, base_points FROM members WHERE id = ? AND active = 1",
                       (member_id,)).fetchone()
    return Member(*row) if row else None


def name_of(conn: sqlite3.Connection, member_id: str) -> str | None:
    """The name of a member, active or not (a receipt names who redeemed and who served), or None."""
    row = conn.execute("SELECT name FROM members WHERE id = ?", (member_id,)).fetchone()
    return row[0] if row else None


def masked_name(name: str) -> str:
    """A receipt shows a member's name masked: 卓玛 → 卓*."""
    return name[:1] + "*" * max(1, len(name) - 1)
