"""Each service's schema is brought up to date by its Alembic migrations (issue 14).

A service's migrations live in `services/<service>/migrations/`; the environment is shared
(`shared/persistence/migrations/env.py`). `upgrade` runs at every start and from `zorgtafel db
upgrade`:

- an empty database gets every migration;
- a database from before migrations (the releases that created tables from the models, with no
  `alembic_version`) is recognised by its tables, stamped at the baseline it matches, and taken
  on from there;
- after the upgrade the models are checked against the database: a column the models have and the
  database lacks means a migration was never written, and the service refuses to start
  (SchemaOutdatedError) instead of failing on its first message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.types import TypeDecorator

from shared.persistence.database import Database, SchemaOutdatedError, ensure_database_exists, missing_columns

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = Path(__file__).resolve().parent / "migrations"
# The revision that describes the schema the releases before migrations created from the models.
BASELINE = "0001"
_LOCK_KEY = 0x7A7461626C65  # "ztable": the advisory lock every service's upgrade takes


def versions_of(service: str) -> Path:
    return ROOT / "services" / service / "migrations"


def alembic_config(service: str, connection: Any = None, metadata: MetaData | None = None) -> Config:
    """Alembic's configuration for `service`: the shared environment, the service's versions."""
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(versions_of(service)))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


async def upgrade(
    database: Database, metadata: MetaData, service: str, *, check: bool = True
) -> tuple[str | None, str | None]:
    """Bring `database` to the newest migration of `service`; returns the revisions it was and is
    at (None: no migration applied; a release before migrations counts as the baseline).
    Raises SchemaOutdatedError when the models need a column no migration creates (unless not
    `check`: `zorgtafel db revision` brings a scratch database to the newest migration to write
    the next one)."""
    await ensure_database_exists(database.url)
    async with database.engine.begin() as connection:
        return await connection.run_sync(_upgrade, metadata, service, check)  # type: ignore[no-any-return]


def _upgrade(connection: Any, metadata: MetaData, service: str, check: bool) -> tuple[str | None, str | None]:
    if connection.dialect.name == "postgresql":
        # Two replicas starting together: one migrates, the other waits and finds it done (PostgreSQL
        # runs DDL in the transaction, so the whole upgrade commits or none of it).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    config = alembic_config(service, connection, metadata)
    before = current_revision(connection)
    if before is None and _has_tables_of(connection, metadata):
        command.stamp(config, BASELINE)  # made by a release that created its tables from the models
        before = BASELINE
    command.upgrade(config, "head")
    missing = missing_columns(connection, metadata) if check else []
    if missing:
        raise SchemaOutdatedError(
            f"the models need {len(missing)} column(s) no migration creates (e.g. {missing[0]}): "
            f"add a migration (README, \"Schema migrations\")"
        )
    return before, current_revision(connection)


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """How autogenerate writes a type: a TypeDecorator as the type it stores (`UTCDateTime` is a
    timezone-aware DateTime), so a migration never depends on application code written later."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def current_revision(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_of(service: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(service)).get_current_head()


def next_revision(service: str) -> str:
    """The id of `service`'s next migration: revisions are numbered 0001, 0002, ... per service."""
    return f"{int(head_of(service) or 0) + 1:04d}"


def _has_tables_of(connection: Any, metadata: MetaData) -> bool:
    present = set(inspect(connection).get_table_names())
    return any(table.name in present for table in metadata.sorted_tables)
