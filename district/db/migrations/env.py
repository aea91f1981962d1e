"""Alembic's environment for the hub: the engine comes from the caller (district.db.migrate)."""

from alembic import context

from district.db.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
