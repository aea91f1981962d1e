"""The hub's database: one schema (SQLAlchemy Core), SQLite or PostgreSQL, migrated by Alembic.

`schema` holds the hub's own tables and the one `metadata`; `people` (members and points) adds
its tables to it, imported here so that every user of the metadata (Alembic, the tests) sees them all.
"""

from . import people  # noqa: F401
