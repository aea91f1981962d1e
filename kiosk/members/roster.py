"""Loading the roster: members, volunteers and staff with their cards.

The roster comes from the district (over MQTT, issue 7); until then, and for
pilots, from a CSV file (`vstation roster import FILE.csv`):

    member_id,card_uid,name,role,grid,balance
    M001,0A1B2C3D4E,卓玛,member,grid-1,
    M002,0A00C0FFEE,扎西,volunteer,grid-1,25

`member_id`, `name` and `role` (member | volunteer | staff) are required;
`card_uid` (4–20 hex digits) and `grid` may be empty; `balance`, when given,
is the district's balance of the member; when empty, a member new to the
station starts with the seed points (`[points] new_member`) as a ledger entry.
Good rows are applied in one transaction; bad rows are reported with their
line number and reason, and change nothing.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from dataclasses import dataclass, field

from ..base import store
from . import cards, ledger
from .cards import ROLES, Member, mask_uid

COLUMNS = ("member_id", "card_uid", "name", "role", "grid", "balance")
REQUIRED = ("member_id", "name", "role")


@dataclass
class Row:
    line: int
    member: Member
    card_uid: str | None
    balance: int | None


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.added} member(s) added, {self.updated} updated, {len(self.rejected)} row(s) rejected"]
        out += [f"  line {line}: {reason}" for line, reason in self.rejected]
        return out


def parse_csv(text: str) -> tuple[list[Row], list[tuple[int, str]]]:
    """Check every row of a roster CSV; return the good rows and (line, reason) for the others."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [(1, f"the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [(1, f"unknown column(s) {', '.join(unknown)} (columns: {', '.join(COLUMNS)})")]
    rows, rejected, seen_ids, seen_cards = [], [], set(), set()
    for number, raw in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        problem = _problem(values, seen_ids, seen_cards)
        if problem:
            rejected.append((number, problem))
            continue
        card = cards.normalise_uid(values["card_uid"]) if values.get("card_uid") else None
        seen_ids.add(values["member_id"])
        if card:
            seen_cards.add(card)
        rows.append(Row(number, Member(values["member_id"], values["name"], values["role"],
                                       values.get("grid", ""), 0),
                        card, int(values["balance"]) if values.get("balance") else None))
    return rows, rejected


def _problem(values: dict[str, str], seen_ids: set[str], seen_cards: set[str]) -> str | None:
    for column in REQUIRED:
        if not values.get(column):
            return f"{column} is empty"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", values["member_id"]):
        return f"member_id {values['member_id']!r} is not 1-32 letters, digits, '-' or '_'"
    if values["member_id"] in seen_ids:
        return f"member_id {values['member_id']} appears twice in the file"
    if values["role"] not in ROLES:
        return f"role {values['role']!r} is not one of {', '.join(ROLES)}"
    card = cards.normalise_uid(values.get("card_uid", ""))
    if card and not cards.CARD_UID.fullmatch(card):
        return f"card_uid {mask_uid(card)} is not 4-20 hex digits"
    if card and card in seen_cards:
        return f"card {mask_uid(card)} appears twice in the file"
    balance = values.get("balance", "")
    if balance and not re.fullmatch(r"-?[0-9]{1,7}", balance):
        return f"balance {balance!r} is not a whole number"
    if len(values["name"]) > 64:
        return "name is longer than 64 characters"
    return None


def apply(conn: sqlite3.Connection, rows: list[Row], *, new_member_points: int,
          rejected: list[tuple[int, str]] | None = None) -> ImportReport:
    """Write the good rows in one transaction (a card taken by another member rejects the row)."""
    report = ImportReport(rejected=list(rejected or []))
    with store.transaction(conn):
        for row in rows:
            holder = conn.execute("SELECT id FROM members WHERE card_uid = ? AND id <> ?",
                                  (row.card_uid, row.member.id)).fetchone() if row.card_uid else None
            if holder:
                report.rejected.append((row.line, f"card {mask_uid(row.card_uid)} belongs to member {holder[0]}"))
                continue
            known = conn.execute("SELECT 1 FROM members WHERE id = ?", (row.member.id,)).fetchone()
            cards.put(conn, row.member, row.card_uid)
            if row.balance is not None:
                # The file's balance already counts everything this station has reported.
                high = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
                ledger.set_snapshot(conn, row.member.id, row.balance, high[0] if high else 0)
            elif not known and new_member_points and row.member.role != "staff":
                ledger.add(conn, row.member.id, new_member_points, "seed", key=f"seed:{row.member.id}",
                           author="system", note="new member")
            report.updated += 1 if known else 0
            report.added += 0 if known else 1
        report.rejected.sort()
    return report


def check_entries(entries: list[dict]) -> tuple[list[Row], list[str]]:
    """The district's roster document entries as rows, with the CSV's rules; every problem as a reason."""
    rows, reasons, seen_ids, seen_cards = [], [], set(), set()
    for i, entry in enumerate(entries):
        values = {c: "" if entry.get(c) is None else str(entry.get(c)).strip() for c in COLUMNS}
        problem = _problem(values, seen_ids, seen_cards)
        if problem:
            reasons.append(f"members[{i}]: {problem}")
            continue
        card = cards.normalise_uid(values["card_uid"]) or None
        seen_ids.add(values["member_id"])
        if card:
            seen_cards.add(card)
        rows.append(Row(i, Member(values["member_id"], values["name"], values["role"], values["grid"], 0),
                        card, int(values["balance"]) if values["balance"] else None))
    return rows, reasons


def replace_all(conn: sqlite3.Connection, rows: list[Row], *, new_member_points: int, as_of_seq: int) -> ImportReport:
    """The district's complete roster, in the caller's transaction.

    Members not in it are deactivated (their history stays) and lose their
    card; cards may move between members. A balance is the district's
    snapshot as of `as_of_seq` (this station's entries after it are added);
    a member new here without one gets the seed points.
    """
    ids = [row.member.id for row in rows]
    known = {r[0] for r in conn.execute("SELECT id FROM members")}
    conn.execute("UPDATE members SET card_uid = NULL")          # cards are re-given below, swaps included
    conn.execute(f"UPDATE members SET active = 0 WHERE id NOT IN ({','.join('?' * len(ids))})", ids)
    report = ImportReport()
    for row in rows:
        cards.put(conn, row.member, row.card_uid)
        if row.balance is not None:
            ledger.set_snapshot(conn, row.member.id, row.balance, as_of_seq)
        elif row.member.id not in known and new_member_points and row.member.role != "staff":
            ledger.add(conn, row.member.id, new_member_points, "seed", key=f"seed:{row.member.id}",
                       author="system", note="new member")
        report.updated += row.member.id in known
        report.added += row.member.id not in known
    return report


def import_csv(conn: sqlite3.Connection, text: str, *, new_member_points: int) -> ImportReport:
    rows, rejected = parse_csv(text)
    return apply(conn, rows, new_member_points=new_member_points, rejected=rejected)

