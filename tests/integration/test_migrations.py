"""Each service's schema comes from its Alembic migrations (shared/persistence/migrate.py, issue
14), on real PostgreSQL: a fresh database and one made by the release before migrations both end
at the newest revision with exactly the models' schema, the data kept; a model change without a
migration stops the start instead of failing on the first message."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, func, select, text

from services.catalog import Service, service_module, service_settings
from shared.persistence.database import SchemaOutdatedError, ensure_database_exists
from shared.persistence.migrate import head_of, render_item, upgrade
from shared.runtime import Runtime
from tests.infra import ROOT, Infra
from tests.support import settings_for

pytestmark = pytest.mark.infra
SNAPSHOTS = ROOT / "tests" / "fixtures" / "schemas"


def runtime_of(service: Service, infra: Infra, namespace: str) -> Runtime:
    return service_module(service).create_runtime(settings_for(type(service_settings(service)), infra, namespace))


async def differences(runtime: Runtime) -> list[Any]:
    """What Alembic's autogenerate would write to bring the database to the models: nothing, when
    the migrations and the models are in step."""
    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_item": render_item})
        return compare_metadata(context, runtime.metadata)

    async with runtime.database.engine.connect() as connection:
        return await connection.run_sync(compare)  # type: ignore[no-any-return]


@pytest.mark.parametrize("service", list(Service))
async def test_an_empty_database_gets_every_migration_and_exactly_the_models_schema(
    service: Service, infra: Infra, namespace: str
) -> None:
    runtime = runtime_of(service, infra, namespace)
    try:
        assert await upgrade(runtime.database, runtime.metadata, service.value) == (None, head_of(service.value))
        assert await differences(runtime) == []
    finally:
        await runtime.database.dispose()


@pytest.mark.parametrize("service", list(Service))
async def test_a_database_of_the_release_before_migrations_is_taken_on_at_start_with_its_data(
    service: Service, infra: Infra, namespace: str
) -> None:
    runtime = runtime_of(service, infra, namespace)
    snapshot = (SNAPSHOTS / f"{service.value}-before-migrations.sql").read_text()
    kept = uuid.uuid4()
    try:
        await ensure_database_exists(runtime.database.url)
        async with runtime.database.engine.begin() as connection:  # what that release's start created
            for statement in _statements(snapshot):
                await connection.execute(text(statement))
            await connection.execute(runtime.tables.inbox.insert().values(
                consumer="before", message_id=kept, processed_at=func.now()))
        await runtime.migrate()  # the service's own start-up step
        async with runtime.database.sessions() as session:
            assert await session.scalar(select(runtime.tables.inbox.c.message_id)) == kept
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == head_of(service.value)
        assert await differences(runtime) == []
    finally:
        await runtime.database.dispose()


async def test_a_model_column_without_a_migration_stops_the_start(infra: Infra, namespace: str) -> None:
    runtime = runtime_of(Service.triage, infra, namespace)
    ahead = MetaData()
    for table in runtime.metadata.sorted_tables:
        table.to_metadata(ahead)
    ahead.tables["inbox"].append_column(Column("added_without_migration", String(10)))
    try:
        with pytest.raises(SchemaOutdatedError, match="inbox.added_without_migration"):
            await upgrade(runtime.database, ahead, Service.triage.value)
    finally:
        await runtime.database.dispose()


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


