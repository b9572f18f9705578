"""`zorgtafel db`: each service's schema migrations (shared/persistence/migrate.py, issue 14).

Services migrate their own database at every start; these commands do it ahead of a rollout
(`upgrade`), say where each database stands (`current`), and write a new migration from a model
change (`revision`).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.catalog import Service, service_database, service_settings

console = Console(soft_wrap=True)


def db_typers() -> dict[str, typer.Typer]:
    db = typer.Typer(help="Each service's database schema (Alembic migrations).", no_args_is_help=True)
    db.command("upgrade")(upgrade)
    db.command("current")(current)
    db.command("revision")(revision)
    return {"db": db}


ServicesArg = Annotated[list[Service] | None, typer.Argument(help="Services (default: all).", show_default=False)]


def upgrade(services: ServicesArg = None) -> None:
    """Bring each service's database to this version's schema (what its start does too)."""
    from shared.persistence.database import SchemaOutdatedError
    from shared.persistence.migrate import upgrade as upgrade_database

    async def one(service: Service) -> tuple[str | None, str | None]:
        target = service_database(service)
        try:
            return await upgrade_database(target.database, target.metadata, service.value)
        finally:
            await target.database.dispose()

    for service in services or list(Service):
        try:
            before, after = asyncio.run(one(service))
        except SchemaOutdatedError as exc:
            console.print(f"[red]{service.value}: {exc}[/red]")
            raise typer.Exit(1) from None
        said = "up to date" if before == after else f"{before or 'empty'} -> {after}"
        console.print(f"{service.value}: {said} (revision {after})")


def current(services: ServicesArg = None) -> None:
    """Each service's database revision beside the newest migration of this version ("empty": no
    database yet, or one without tables; looking creates none)."""
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import AsyncSession

    from shared.persistence.database import DatabaseMissingError, read_once
    from shared.persistence.migrate import current_revision, head_of

    async def revision_in(session: AsyncSession) -> str | None:
        connection = await session.connection()
        if not await connection.run_sync(lambda c: inspect(c).get_table_names()):
            return None
        return await connection.run_sync(current_revision) or "before migrations"

    async def one(service: Service) -> str | None:
        try:
            return await read_once(service_settings(service).database_url_for(service.value), revision_in)
        except DatabaseMissingError:
            return None

    table = Table("service", "database", "newest migration")
    for service in services or list(Service):
        table.add_row(service.value, asyncio.run(one(service)) or "empty", head_of(service.value) or "-")
    console.print(table)


def revision(
    service: Service,
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration changes, for its file name.")],
) -> None:
    """Write a migration for `service` from the difference between its models and its newest
    migration (Alembic autogenerate on a scratch SQLite database). Read it before committing:
    renames come out as a drop and an add, and data moves are yours to write."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from shared.persistence.migrate import alembic_config, next_revision
    from shared.persistence.migrate import upgrade as upgrade_database

    async def write(url: str) -> bool:
        target = service_database(service, database_url=url)
        try:
            await upgrade_database(target.database, target.metadata, service.value, check=False)
            async with target.database.engine.begin() as connection:
                if not await connection.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), target.metadata)):
                    return False
                await connection.run_sync(lambda c: command.revision(
                    alembic_config(service.value, c, target.metadata), message=message, autogenerate=True,
                    rev_id=next_revision(service.value),
                ))
                return True
        finally:
            await target.database.dispose()

    with tempfile.TemporaryDirectory() as scratch:
        written = asyncio.run(write(f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"))
    if not written:
        console.print(f"{service.value}: its models and its newest migration agree; nothing to write")
        raise typer.Exit(1)
