"""Each station's stock of each good, kept from its events (called by ingest, once each).

`stock.adjusted` carries the station's count after it (received or counted)
and sets the stock; a redemption takes its quantities off and a void puts
them back, but only when written after the count that set the stock, by
(epoch, seq): a pack that arrives late is not counted twice. Before a
station's first count of a good the district does not know its stock (the
station's opening stock is its own), so it shows none rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..db.engine import upsert_insert
from ..db.schema import stations
from ..db.shop import station_redemptions, station_stock
from ..points.ledger import parse_ts


def apply(conn: Connection, station: str, event: dict[str, Any], now: datetime) -> bool:
    """Apply one shop event; False for any other event."""
    position = (int(event.get("epoch", 0)), int(event["seq"]))
    data = event["data"]
    if event["type"] == "stock.adjusted":
        _set(conn, station, data["goods_id"], int(data["stock"]), position, now)
    elif event["type"] == "redemption.made":
        conn.execute(upsert_insert(conn, station_redemptions).values(
            id=data["redemption_id"], station_id=station, items=data["items"], epoch=position[0], seq=position[1],
            at=parse_ts(event["ts"]) or now, voided=False).on_conflict_do_nothing())
        for item in data["items"]:
            _move(conn, station, item["goods_id"], -int(item["qty"]), position, now)
    elif event["type"] == "redemption.voided":
        made = conn.execute(select(station_redemptions).where(station_redemptions.c.id == data["redemption_id"],
                                                              station_redemptions.c.voided.is_(False))).first()
        if made is None:
            return True                     # its redemption is not here (yet): nothing known to put back
        conn.execute(station_redemptions.update().where(station_redemptions.c.id == made.id).values(voided=True))
        for item in made.items:
            _move(conn, station, item["goods_id"], int(item["qty"]), position, now)
    else:
        return False
    return True


def _row(conn: Connection, station: str, goods_id: str) -> Any:
    return conn.execute(select(station_stock).where(station_stock.c.station_id == station,
                                                    station_stock.c.goods_id == goods_id).with_for_update()).first()


def _set(conn: Connection, station: str, goods_id: str, stock: int, position: tuple[int, int], now: datetime) -> None:
    row = _row(conn, station, goods_id)
    if row is None:
        conn.execute(station_stock.insert().values(station_id=station, goods_id=goods_id, stock=stock,
                                                   set_epoch=position[0], set_seq=position[1], updated_at=now))
    elif position > (row.set_epoch, row.set_seq):
        conn.execute(station_stock.update().where(station_stock.c.station_id == station,
                                                  station_stock.c.goods_id == goods_id)
                     .values(stock=stock, set_epoch=position[0], set_seq=position[1], updated_at=now))


def _move(conn: Connection, station: str, goods_id: str, delta: int, position: tuple[int, int], now: datetime) -> None:
    row = _row(conn, station, goods_id)
    if row is not None and position > (row.set_epoch, row.set_seq):
        conn.execute(station_stock.update().where(station_stock.c.station_id == station,
                                                  station_stock.c.goods_id == goods_id)
                     .values(stock=row.stock + delta, updated_at=now))


@dataclass(frozen=True)
class Level:
    station_id: str
    station_name: str
    goods_id: str
    stock: int
    updated_at: datetime


def levels(conn: Connection) -> list[Level]:
    """Every counted stock, by station and good."""
    rows = conn.execute(select(station_stock, stations.c.name).select_from(
        station_stock.join(stations, stations.c.id == station_stock.c.station_id))
        .where(stations.c.removed_at.is_(None)).order_by(station_stock.c.station_id, station_stock.c.goods_id))
    return [Level(r.station_id, r.name, r.goods_id, int(r.stock), r.updated_at) for r in rows]


def low(found: list[Level], offered: set[str], threshold: int) -> list[Level]:
    """The goods on offer that a station holds `threshold` or fewer of (the low-stock alerts)."""
    return [level for level in found if level.goods_id in offered and level.stock <= threshold]
