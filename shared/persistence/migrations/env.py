"""Alembic's environment for every service's migrations (shared/persistence/migrate.py).

The caller hands over the connection and the service's metadata (`config.attributes`): a
service's migrations run inside its own start-up or `zorgtafel db upgrade`, never with a URL of
their own, so they reach exactly the database the service uses.
"""

from __future__ import annotations

from alembic import context

from shared.persistence.migrate import render_item

config = context.config

connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes["metadata"],
    # SQLite alters a table by copying it: Alembic's batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
