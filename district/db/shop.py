"""The points supermarket seen from the district: each station's stock of each good, and its redemptions.

Tables on the hub's one `metadata` (district/db/schema.py), built by the
Alembic revision 0004 and kept by district/shop/stock.py from the stations'
`stock.adjusted`, `redemption.made` and `redemption.voided` events. A
stock row remembers the (epoch, seq) of the count that set it, so a
redemption written before that count (a pack that arrives late) is not
taken off twice. The catalogue itself is the `catalog` document.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, String, Table

from .schema import Moment, metadata

station_stock = Table(
    "station_stock", metadata,
    Column("station_id", String(64), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("goods_id", String(32), primary_key=True),
    Column("stock", BigInteger, nullable=False),
    Column("set_epoch", BigInteger, nullable=False),            # the stock.adjusted that set it (-1: none yet)
    Column("set_seq", BigInteger, nullable=False),
    Column("updated_at", Moment, nullable=False),
)

station_redemptions = Table(
    "station_redemptions", metadata,
    Column("id", String(64), primary_key=True),                 # the station's redemption uuid
    Column("station_id", String(64), ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("items", JSON, nullable=False),                      # [{goods_id, qty, unit_price}]
    Column("epoch", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Moment, nullable=False),
    Column("voided", Boolean, nullable=False, default=False),
    Index("ix_station_redemptions_station_at", "station_id", "at"),
)
