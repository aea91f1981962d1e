"""The register from a CSV file (the stations' roster format: member_id,card_uid,name,role,grid,balance).

Every row is checked against the register's rules before anything is
written: its fields, an id or card twice in the file, a card another
member holds, a member of another district or deactivated. Any bad row
and nothing is imported; the answer lists every bad row with its line. A
good file adds the new members (with `balance` as their balance from before
the register, else the district's seed) and updates the others' name, role,
grid and card (an empty card_uid leaves their card as it is), in one
transaction. A balance given for a member already in the register changes
nothing (the ledger moves only by entries) and is counted in the answer.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection

from . import cards, register

COLUMNS = ("member_id", "card_uid", "name", "role", "grid", "balance")
REQUIRED = ("member_id", "name", "role")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Row:
    line: int
    member_id: str
    name: str
    role: str
    grid: str
    card_uid: str | None
    balance: int | None


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)      # "line N: why", every bad row
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    balances_ignored: int = 0


def read(text: str) -> tuple[list[Row], list[str]]:
    """The file's rows and one 'line N: why' per problem of a row on its own (fields, repeats in the file)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"]
    rows, problems, ids, held = [], [], {}, {}
    for line, raw in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            return [], [f"more than {MAX_ROWS} rows: split the file"]
        got = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        card = cards.normalise(got.get("card_uid", "")) or None
        why = register.problems(got.get("member_id", ""), got.get("name", ""), got.get("role", ""),
                                got.get("grid", ""), card)
        balance = got.get("balance", "")
        if balance and not re.fullmatch(r"-?\d{1,7}", balance):
            why.append(f"balance {balance!r} is not a whole number")
        member_id = got.get("member_id", "")
        if member_id in ids:
            why.append(f"member_id {member_id} is also on line {ids[member_id]}")
        if card and card in held:
            why.append(f"card {cards.mask(card)} is also on line {held[card]}")
        ids.setdefault(member_id, line)
        if card:
            held.setdefault(card, line)
        problems += [f"line {line}: {w}" for w in why]
        if not why:
            rows.append(Row(line, member_id, got["name"].strip(), got["role"], got.get("grid", "").strip(), card,
                            int(balance) if balance else None))
    if not rows and not problems:
        problems.append("line 2: no members in the file")
    return rows, problems


def check(conn: Connection, rows: list[Row], district: str) -> list[str]:
    """What the register says against the rows: cards held by others, members elsewhere or deactivated."""
    problems, in_file = [], {r.member_id for r in rows}
    for row in rows:
        current = register.get(conn, row.member_id)
        if current is not None and current.district != district:
            problems.append(f"line {row.line}: member {row.member_id} belongs to district {current.district}")
        elif current is not None and not current.active:
            problems.append(f"line {row.line}: member {row.member_id} is deactivated (reactivate them first)")
        holder = register.holder(conn, row.card_uid) if row.card_uid else None
        if holder and holder != row.member_id and holder not in in_file:
            problems.append(f"line {row.line}: card {cards.mask(row.card_uid)} belongs to member {holder}")
    return problems


def apply(conn: Connection, text: str, *, district: str, seed: int, by: str, now: datetime) -> Outcome:
    """Import the file in the caller's transaction, or nothing (then `problems` lists every bad row)."""
    rows, problems = read(text)
    problems += check(conn, rows, district)
    if problems:
        return Outcome(problems=sorted(problems, key=_line))
    outcome = Outcome()
    for row in rows:                      # cards first released, so members may swap cards within the file
        current = register.get(conn, row.member_id)
        if current is not None and row.card_uid and current.card_uid and current.card_uid != row.card_uid:
            register.give_card(conn, row.member_id, None, why="replaced", by=by, now=now)
    for row in rows:
        current = register.get(conn, row.member_id)
        if current is None:
            register.add(conn, member_id=row.member_id, name=row.name, role=row.role, grid=row.grid,
                         card_uid=row.card_uid, district=district, seed=seed, by=by, now=now, opening=row.balance)
            outcome.added += 1
            continue
        changed = (current.name, current.role, current.grid) != (row.name, row.role, row.grid)
        if changed:
            register.update(conn, row.member_id, name=row.name, role=row.role, grid=row.grid, by=by, now=now)
        if row.card_uid and current.card_uid != row.card_uid:
            register.give_card(conn, row.member_id, row.card_uid, why="replaced", by=by, now=now)
            changed = True
        outcome.updated += changed
        outcome.unchanged += not changed
        outcome.balances_ignored += row.balance is not None
    return outcome


def _line(problem: str) -> int:
    found = re.match(r"line (\d+)", problem)
    return int(found.group(1)) if found else 0
