"""The hub's tables as SQLAlchemy Core `Table` objects: the one schema of SQLite and PostgreSQL.

Alembic's numbered revisions (migrations/versions) build it; a test holds the
migrated database equal to these definitions. Times are aware UTC moments
(`Moment`); what a station said its clock was is kept as it sent it (`ts`),
beside the hub's own receive time, so a wrong station clock misleads nobody.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"})

#: an autoincrementing 64-bit key (SQLite autoincrements only an INTEGER PRIMARY KEY)
SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class Moment(TypeDecorator):
    """An aware UTC datetime on both engines (SQLite keeps naive text: UTC is put back on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _station_id(**kw: Any) -> Column:
    return Column("station_id", String(64), ForeignKey("stations.id", ondelete="CASCADE"), nullable=False, **kw)


stations = Table(
    "stations", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("command_key", String(128), nullable=False),       # HMAC key of its commands (hex)
    Column("added_at", Moment, nullable=False),
    Column("removed_at", Moment),                               # removed: refused like an unknown station
    Column("keys_rotated_at", Moment),
    # presence, from the retained status (birth, goodbye, last will)
    Column("online", Boolean, nullable=False, default=False),
    Column("online_changed_at", Moment),
    Column("last_seen_at", Moment),                             # the hub's clock: anything received
    Column("version", String(40)),
    Column("session", BigInteger),
    Column("started", String(40)),
    Column("epoch", BigInteger),                                # the station's current history (docs/mqtt.md)
    Column("previous_epoch", BigInteger),
    Column("restored_at", Moment),                              # when a new, larger epoch was first seen
    Column("sessions_missed", Integer, nullable=False, default=0),
    Column("grid", String(64)),                                 # the grid it serves (one grid, one V-station)
)

health = Table(
    "health", metadata,
    _station_id(primary_key=True),
    Column("received_at", Moment, nullable=False),
    Column("station_ts", String(40)),
    Column("clock_skew_s", Float),                              # station ts − hub time
    Column("printer", String(20)),
    Column("printer_since", Moment),
    Column("reader", String(20)),
    Column("lockers", JSON),
    Column("locker_faults", Integer, nullable=False, default=0),
    Column("faults_since", Moment),
    Column("tickets_waiting", Integer),
    Column("outbox_depth", BigInteger),
    Column("outbox_oldest_age_s", Float),
    Column("acked_seq", BigInteger),
    Column("last_seq", BigInteger),
    Column("sync_error", Text),
    Column("payload", JSON, nullable=False),
)

telemetry = Table(
    "telemetry", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    _station_id(),
    Column("received_at", Moment, nullable=False),
    Column("station_ts", String(40)),
    Column("printer", String(20)),
    Column("tickets_waiting", Integer),
    Column("outbox_depth", BigInteger),
    Column("outbox_oldest_age_s", Float),
    Column("cpu_temp_c", Float),
    Column("load1", Float),
    Column("mem_available_kb", BigInteger),
    Index("ix_telemetry_station_time", "station_id", "received_at"),
)

events = Table(
    "events", metadata,
    Column("id", String(64), primary_key=True),                 # the station's event uuid
    _station_id(),
    Column("epoch", BigInteger, nullable=False),                # 0: a station from before epochs
    Column("seq", BigInteger, nullable=False),
    Column("type", String(64), nullable=False),
    Column("ts", String(40), nullable=False),                   # the station's clock, as sent
    Column("received_at", Moment, nullable=False),              # the hub's clock
    Column("data", JSON, nullable=False),
    UniqueConstraint("station_id", "epoch", "seq", name="uq_events_station_epoch_seq"),
    Index("ix_events_station_time", "station_id", "received_at"),
    Index("ix_events_type_ts", "type", "ts"),                   # reports: these types, in a range of days
)

positions = Table(
    "positions", metadata,
    _station_id(primary_key=True),
    Column("epoch", BigInteger, primary_key=True),
    Column("first_seq", BigInteger, nullable=False),
    Column("upto_seq", BigInteger, nullable=False),             # every event ≤ this is stored
    Column("max_seq", BigInteger, nullable=False),              # the highest stored (> upto_seq: a gap)
    Column("updated_at", Moment, nullable=False),
    Column("replay_from", BigInteger),
    Column("replay_asked_at", Moment),
)

documents = Table(
    "documents", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),                 # config | roster | catalog | notices
    Column("target", String(64), nullable=False),               # a station id, or "*" for all
    Column("version", BigInteger, nullable=False),              # grows per kind, whatever the target
    Column("body", JSON, nullable=False),                       # the payload as published
    Column("created_at", Moment, nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("kind", "version", name="uq_documents_kind_version"),
)

deliveries = Table(
    "deliveries", metadata,
    _station_id(primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("published_version", BigInteger),                    # retained on the station's topic
    Column("published_at", Moment),
    Column("applied_version", BigInteger),                      # from config.applied
    Column("applied_at", Moment),
    Column("rejected_version", BigInteger),                     # from config.rejected
    Column("rejected_at", Moment),
    Column("reasons", JSON),
)

commands = Table(
    "commands", metadata,
    Column("id", String(64), primary_key=True),
    _station_id(),
    Column("name", String(64), nullable=False),
    Column("args", JSON, nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("expires_at", Moment, nullable=False),
    Column("payload", Text, nullable=False),                    # the signed envelope, as it goes out
    Column("sent_at", Moment),
    Column("status", String(16), nullable=False),               # pending | sent | done | failed | refused
    Column("reason", Text),
    Column("result", JSON),
    Column("result_at", Moment),
    Index("ix_commands_station_time", "station_id", "created_at"),
)

rejects = Table(
    "rejects", metadata,
    Column("kind", String(32), primary_key=True),               # unknown_station | wrong_topic | malformed | …
    Column("station", String(64), primary_key=True),            # as the topic claimed it ("" when none)
    Column("count", BigInteger, nullable=False),
    Column("first_at", Moment, nullable=False),
    Column("last_at", Moment, nullable=False),
    Column("last_topic", String(300), nullable=False),
    Column("last_detail", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),                 # admin | dispatcher | viewer
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Moment, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", Moment),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),         # sha256 of the cookie's token
    Column("user_id", BigInteger().with_variant(Integer(), "sqlite"),
           ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("last_seen_at", Moment, nullable=False),
    Column("expires_at", Moment, nullable=False),
    Column("revoked_at", Moment),
)
