"""The hub's database: one schema (SQLAlchemy Core), SQLite or PostgreSQL, migrated by Alembic.

`schema` holds the hub's own tables and the one `metadata`; `people` (members and points), `help`
(help requests, return visits) and `shop` (stock per station) add their tables to it, imported here
so that every user of the metadata (Alembic, the tests) sees them all.
"""

from . import help, people, shop  # noqa: F401
