"""A roster from a CSV file (the stations' own format: member_id,card_uid,name,role,grid,balance).

Each row becomes a member of the `roster` document, checked against the
contract's schema with its line number; an id or card twice is refused. A
file with any bad row publishes nothing: the staff fix it and try again.
Card UIDs are personal data: a reason names a card by its last four characters.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sync import schemas

from .members.cards import mask

COLUMNS = ("member_id", "card_uid", "name", "role", "grid", "balance")
REQUIRED = ("member_id", "name", "role")
CARD = re.compile(r"[0-9A-Fa-f]{4,20}")
MEMBER = schemas.ROSTER_DOC["properties"]["members"]["items"]


def parse(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The members of a roster CSV, and one 'line N: why' for each bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"]
    members, problems, ids, cards = [], [], set(), set()
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        member, why = _member(row)
        if member and member["member_id"] in ids:
            why = [f"member_id {member['member_id']} appears twice"]
        if member and member.get("card_uid") and member["card_uid"] in cards:
            why = [f"card {mask(member['card_uid'])} appears twice"]   # UIDs are personal data: masked
        if why:
            problems += [f"line {line}: {w}" for w in why]
            continue
        ids.add(member["member_id"])
        if member.get("card_uid"):
            cards.add(member["card_uid"])
        members.append(member)
    if not members and not problems:
        problems.append("line 2: no members (a roster lists every member of the station)")
    return members, problems


def _member(row: dict[str, str]) -> tuple[dict[str, Any] | None, list[str]]:
    member: dict[str, Any] = {"member_id": row.get("member_id", ""), "name": row.get("name", ""),
                              "role": row.get("role", "")}
    why = []
    card = row.get("card_uid", "")
    if card:
        if CARD.fullmatch(card):
            member["card_uid"] = card.upper()
        else:
            why.append(f"card_uid {mask(card)}: expected 4 to 20 hex digits")
    if row.get("grid"):
        member["grid"] = row["grid"]
    balance = row.get("balance", "")
    if balance:
        if re.fullmatch(r"-?\d{1,7}", balance):
            member["balance"] = int(balance)
        else:
            why.append(f"balance {balance!r}: expected a whole number")
    why += [p.removeprefix("$.") for p in schemas.errors(MEMBER, member)]
    return (None, why) if why else (member, [])
