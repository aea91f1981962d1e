"""The district's catalogue: the goods every station's points supermarket offers, as the `catalog` document.

The catalogue is the newest `catalog` document for all stations; each change
here (a good added, changed or taken off offer) publishes the whole list as
its next version, checked against the contract's schema first, so a refusal
publishes nothing. Goods are never deleted: one taken off offer stays listed
with `active = false` (stations keep its history and its stock).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from .. import documents
from ..errors import Refused

GOODS_ID = re.compile(r"[a-z0-9_-]{1,32}")
PERIODS = ("day", "week", "month")


def goods(conn: Connection) -> list[dict[str, Any]]:
    """The goods of the catalogue in force for all stations (empty before the first)."""
    doc = documents.latest(conn, "catalog", documents.ALL)
    return list(doc.body.get("goods", [])) if doc else []


def offered(conn: Connection) -> set[str]:
    return {g["id"] for g in goods(conn) if g.get("active", True)}


def problems(good: dict[str, Any]) -> list[str]:
    found = []
    if not GOODS_ID.fullmatch(str(good.get("id", ""))):
        found.append("an id is 1-32 of a-z, 0-9, _ and -")
    if not str(good.get("name", {}).get("zh", "")).strip():
        found.append("a good needs its Chinese name")
    price = good.get("price")
    if isinstance(price, bool) or not isinstance(price, int) or not 1 <= price <= 100000:
        found.append("a price is 1 to 100000 points")
    limit = good.get("limit_qty", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 99:
        found.append("a limit is 0 (none) to 99 per member and period")
    if good.get("limit_period", "month") not in PERIODS:
        found.append("a limit's period is day, week or month")
    return found


def save(conn: Connection, good: dict[str, Any], *, by: str, now: datetime) -> documents.Document:
    """Add the good, or replace the one with its id; publish the catalogue's next version to all stations."""
    found = problems(good)
    if found:
        raise Refused("not a valid good", found, code="bad_good")
    name = {k: v.strip() for k, v in good["name"].items() if isinstance(v, str) and v.strip()}
    clean = {"id": good["id"], "name": name, "price": good["price"], "limit_qty": good.get("limit_qty", 0),
             "limit_period": good.get("limit_period", "month"), "active": bool(good.get("active", True))}
    listed = [g for g in goods(conn) if g["id"] != clean["id"]]
    return documents.publish(conn, "catalog", sorted([*listed, clean], key=lambda g: g["id"]),
                             target=documents.ALL, by=by, now=now)


def set_active(conn: Connection, goods_id: str, active: bool, *, by: str, now: datetime) -> documents.Document:
    """Take a good off offer (or back on): the catalogue's next version."""
    current = next((g for g in goods(conn) if g["id"] == goods_id), None)
    if current is None:
        raise Refused(f"no good {goods_id!r} in the catalogue", code="unknown_good", goods=goods_id)
    return save(conn, {**current, "active": active}, by=by, now=now)
