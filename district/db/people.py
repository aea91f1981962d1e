"""The district's members and their points: the register, card history, the ledger and its balances.

Tables on the hub's one `metadata` (district/db/schema.py), built by the
Alembic revision 0002. The ledger is the authority for balances: every
station's `points.entry` once (unique by entry id and by event id) and the
district's own entries (seed, adjustments, overdrafts). `member_balances`
is the ledger's running sum per member, written in the same transaction as
each entry and locked while it is (so two hub workers cannot both miss an
overdraft); `station_points` the same per member and station (what a roster
owes the station beyond its own entries is the one minus the other). Tests
hold both equal to the sums.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from .schema import SERIAL, Moment, metadata

members = Table(
    "members", metadata,
    Column("id", String(32), primary_key=True),                 # the member_id stations know
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),                 # member | volunteer | staff
    Column("grid", String(64), nullable=False, default=""),
    Column("card_uid", String(20), unique=True),                # normalised; personal data: shown masked
    Column("district", String(64), nullable=False),             # the member's home district
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Moment, nullable=False),
    Column("updated_at", Moment, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("deactivated_at", Moment),
    Column("deactivated_reason", String(200)),
)

member_cards = Table(
    "member_cards", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("member_id", String(32), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("card_uid", String(20), nullable=False),
    Column("assigned_at", Moment, nullable=False),
    Column("assigned_by", String(64), nullable=False),
    Column("released_at", Moment),
    Column("released_by", String(64)),
    Column("released_why", String(32)),                         # replaced | lost | deactivated | moved
    Index("ix_member_cards_member", "member_id"),
)

ledger = Table(
    "ledger", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("entry_id", String(64), nullable=False, unique=True),    # the station's uuid, or the district's
    Column("member_id", String(32), nullable=False),                # not a foreign key: a station may know more
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("source", String(16), nullable=False),                   # station | district
    Column("station_id", String(64)),                               # where it was written (station entries)
    Column("epoch", BigInteger),
    Column("seq", BigInteger),
    Column("event_id", String(64), unique=True),
    Column("ts", String(40), nullable=False),                       # the writer's clock, as written
    Column("at", Moment, nullable=False),                           # the same, as a moment (statements, reports)
    Column("recorded_at", Moment, nullable=False),                  # the hub's clock
    Column("author", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("station_balance", BigInteger),                          # the station's balance after it, as it saw it
    Column("counts", Boolean, nullable=False, default=True),        # False: a station's own seed (the district seeds)
    Index("ix_ledger_member_at", "member_id", "at"),
    Index("ix_ledger_station_position", "station_id", "epoch", "seq"),
    Index("ix_ledger_at", "at"),
)

member_balances = Table(
    "member_balances", metadata,
    Column("member_id", String(32), primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("updated_at", Moment, nullable=False),
)

station_points = Table(
    "station_points", metadata,
    Column("station_id", String(64), primary_key=True),
    Column("member_id", String(32), primary_key=True),
    Column("amount", BigInteger, nullable=False),                   # the sum of this station's counted entries
)

overdrafts = Table(
    "overdrafts", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("member_id", String(32), nullable=False),
    Column("deficit", BigInteger, nullable=False),                  # points spent beyond the balance
    Column("balance", BigInteger, nullable=False),                  # the district balance it left
    Column("rule", String(16), nullable=False),                     # allow | claw_back (balances.overdraft)
    Column("station_id", String(64), nullable=False),               # where the spend that overdrew it was
    Column("entry_id", String(64), nullable=False),                 # that spend
    Column("adjustment_id", String(64)),                            # allow: the entry writing the deficit off
    Column("detected_at", Moment, nullable=False),
    Column("reviewed_at", Moment),
    Column("reviewed_by", String(64)),
    Index("ix_overdrafts_member", "member_id"),
)

roster_state = Table(
    "roster_state", metadata,
    Column("station_id", String(64), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", String(64), nullable=False),                   # of what the last roster said beyond the station
    Column("epoch", BigInteger),
    Column("version", BigInteger, nullable=False),                  # that roster document's version
    Column("as_of_seq", BigInteger, nullable=False),
    Column("built_at", Moment, nullable=False),
)
