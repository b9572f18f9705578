"""One async engine per service, created in the service's start-up, never at import time."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Each service owns its tables: one MetaData per service, with stable constraint names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """One service's database. On PostgreSQL every statement is bounded (`statement_timeout_s`)
    and so is every wait for a lock (`lock_timeout_s`): a blocked handler fails with a TRANSIENT
    error (SQLSTATE 57014 / 55P03, shared/messaging/errors.py) and is retried, never hangs."""

    def __init__(self, url: str, *, statement_timeout_s: float = 30.0, lock_timeout_s: float = 10.0) -> None:
        self.url = url
        connect_args: dict[str, Any] = {}
        if make_url(url).get_backend_name() == "postgresql":
            connect_args["server_settings"] = {
                "statement_timeout": str(int(statement_timeout_s * 1000)),
                "lock_timeout": str(int(lock_timeout_s * 1000)),
                # A transaction left open (a tool, a crashed client) holds its locks at most this long.
                "idle_in_transaction_session_timeout": "60000",
            }
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @classmethod
    def of(cls, settings: ServiceSettings, service: str) -> Database:
        """`service`'s own database where `settings` put it, with their bounds: the one its runtime uses."""
        return cls(settings.database_url_for(service), statement_timeout_s=settings.statement_timeout_s,
                   lock_timeout_s=settings.lock_timeout_s)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def create_schema(self, metadata: MetaData) -> None:
        """Create missing tables of `metadata`: for a part of a schema that no service owns whole
        (test fixtures). A service's own schema is migrated (shared/persistence/migrate.py)."""
        await ensure_database_exists(self.url)
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            missing = await conn.run_sync(missing_columns, metadata)
        if missing:
            raise SchemaOutdatedError(
                f"the database schema is older than this version ({len(missing)} column(s) missing, e.g. "
                f"{missing[0]}); migrate it, or for a disposable local database delete it and start again"
            )

    async def dispose(self) -> None:
        await self.engine.dispose()


class SchemaOutdatedError(RuntimeError):
    pass


class DatabaseMissingError(RuntimeError):
    """A tool looked for a service's database where none is: the service never ran with these
    settings. Says where it looked (`place`), never a password."""

    def __init__(self, place: str) -> None:
        super().__init__(f"no database at {place}")
        self.place = place


# PostgreSQL's SQLSTATE for a database that does not exist (invalid_catalog_name).
_NO_SUCH_DATABASE = "3D000"


def place_of(url: str) -> str:
    """Where `url` points, to tell a person: a SQLite file's path, or host:port/database (no user, no password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"


async def read_once(url: str, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """A tool's one read of a service's database (its read side): connect, read, let go. Raises
    DatabaseMissingError when the database does not exist, and creates none: no SQLite file (or an
    empty one: SQLite writes nothing before the first table), no such PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)  # type: ignore[arg-type]
        if not path.is_file() or path.stat().st_size == 0:
            raise DatabaseMissingError(place_of(url))
    database = Database(url)
    try:
        async with database.sessions() as session:
            return await read(session)
    except DBAPIError as exc:
        if sqlstate(exc) == _NO_SUCH_DATABASE:
            raise DatabaseMissingError(place_of(url)) from None
        raise
    finally:
        await database.dispose()


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, whichever driver raised it (asyncpg, psycopg, sqlite: None)."""
    orig = getattr(exc, "orig", None)
    for source in (orig, getattr(orig, "__cause__", None), exc):
        code = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def missing_columns(sync_conn: Any, metadata: MetaData) -> list[str]:
    """Tables (`name`) and columns (`table.column`) the models have and the database lacks."""
    inspector = inspect(sync_conn)
    tables = set(inspector.get_table_names())
    missing = []
    for table in metadata.sorted_tables:
        if table.name not in tables:
            missing.append(table.name)
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing.extend(f"{table.name}.{c.name}" for c in table.columns if c.name not in present)
    return missing


def private_file(path: Path) -> None:
    """`path` exists and only its owner may read or write it (SQLite's journal files follow it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        os.chmod(path, 0o600)


async def ensure_database_exists(url: str) -> None:
    """Create the service's own PostgreSQL database, or its SQLite file, if missing. A SQLite
    file holds the service's dossiers (sealed, but with their metadata): it is its owner's alone
    (0600, and 0700 for a folder made for it); one left readable by others is made so."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                # Identifiers cannot be bound parameters; the name comes from our own settings.
                await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        await admin.dispose()
