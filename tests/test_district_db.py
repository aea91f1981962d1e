"""One schema for SQLite and PostgreSQL: Alembic's revisions build exactly the tables of district/db/schema.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from district.db import migrate
from district.db.engine import open_engine
from district.db.schema import metadata


def test_the_migrated_database_is_the_schema_on_both_engines(tmp_path, db_url):
    engine = open_engine(db_url or f"sqlite:///{tmp_path / 'district.db'}")
    try:
        assert migrate.upgrade(engine) == migrate.head()
        assert migrate.upgrade(engine) == migrate.head()      # a second run changes nothing
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
