"""The register is read once per transaction (issue 13: a batch of a party's messages asks once),
and never stale: a change in the transaction, or a new transaction, reads it again (art. 21.3,
23.2: from the day a party is excluded it may not write)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import event

from shared.persistence.database import Database, new_metadata
from shared.register.store import RegisterStore, register_tables
from shared.settings import ServiceSettings
from tests.infra import Infra
from tests.support import PARTY, settings_for

TODAY = date(2026, 11, 30)


@pytest.fixture
async def register(infra: Infra, namespace: str) -> AsyncIterator[tuple[Database, RegisterStore, list[str]]]:
    metadata = new_metadata()
    store = RegisterStore(register_tables(metadata))
    database = Database(settings_for(ServiceSettings, infra, namespace).database_url_for("probe"))
    await database.create_schema(metadata)
    async with database.sessions() as session, session.begin():
        await store.seed(session)
    statements: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    yield database, store, statements
    await database.dispose()


def membership_reads(statements: list[str]) -> int:
    return sum("party_membership" in s and s.lstrip().startswith("SELECT") for s in statements)


async def test_a_transaction_reads_a_partys_standing_once(register) -> None:  # type: ignore[no-untyped-def]
    database, store, statements = register
    async with database.sessions() as session, session.begin():
        assert [await store.standing(session, PARTY, TODAY) for _ in range(5)] == ["party"] * 5
        assert len(await store.municipalities(session, TODAY)) == len(await store.municipalities(session, TODAY)) == 36
    assert membership_reads(statements) == 2  # the party's standing once, the municipalities once


async def test_an_exclusion_in_the_transaction_is_seen_at_once(register) -> None:  # type: ignore[no-untyped-def]
    database, store, _ = register
    async with database.sessions() as session, session.begin():
        assert await store.standing(session, PARTY, TODAY) == "party"
        assert await store.end(session, PARTY, TODAY, "excluded")
        assert await store.standing(session, PARTY, TODAY) == "party_excluded"


async def test_the_next_transaction_reads_the_register_again(register) -> None:  # type: ignore[no-untyped-def]
    database, store, statements = register
    async with database.sessions() as session, session.begin():
        await store.standing(session, PARTY, TODAY)
    async with database.sessions() as session, session.begin():  # another writer excluded it meanwhile
        await store.end(session, PARTY, TODAY, "excluded")
    async with database.sessions() as session, session.begin():
        assert await store.standing(session, PARTY, TODAY) == "party_excluded"
    assert membership_reads(statements) >= 3
