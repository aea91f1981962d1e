"""The hub's database: one schema (SQLAlchemy Core), SQLite or PostgreSQL, migrated by Alembic."""
