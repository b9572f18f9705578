"""The per-case key store on a real PostgreSQL: keys live in transactions and can be shredded."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Table, select

from shared.crypto import (
    CaseKeyStore,
    CryptoError,
    DecryptionError,
    KeyDestroyedError,
    MasterKey,
    UnknownCaseKeyError,
    case_aad,
    case_keys_table,
    case_kid,
    open_text,
    seal_text,
)
from shared.persistence.database import Database, new_metadata
from shared.persistence.unit_of_work import UnitOfWork
from shared.settings import ServiceSettings
from tests.infra import Infra
from tests.support import SEEDED_FAMILY_NAME, settings_for

pytestmark = pytest.mark.infra

MASTER = MasterKey("local-1", bytes(range(32)))


@pytest.fixture
async def store(infra: Infra, namespace: str) -> AsyncIterator[tuple[Database, Table]]:
    metadata = new_metadata()
    table = case_keys_table(metadata)
    database = Database(settings_for(ServiceSettings, infra, namespace).database_url_for("crypto"))
    await database.create_schema(metadata)
    yield database, table
    await database.dispose()


async def create_key(database: Database, keys: CaseKeyStore, case_id: uuid.UUID) -> bytes:
    async with UnitOfWork(database.sessions) as uow:
        key = await keys.create(uow.session, case_id)
        await uow.commit()
    return key


async def destroy_key(database: Database, keys: CaseKeyStore, case_id: uuid.UUID) -> bool:
    async with UnitOfWork(database.sessions) as uow:
        destroyed = await keys.destroy(uow.session, case_id)
        await uow.commit()
    return destroyed


async def get_key(database: Database, keys: CaseKeyStore, case_id: uuid.UUID) -> bytes:
    async with UnitOfWork(database.sessions) as uow:
        return await keys.get(uow.session, case_id)


async def test_a_created_key_is_read_back_unchanged_in_a_later_transaction(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    keys, case_id = CaseKeyStore(table, MASTER), uuid.uuid4()
    key = await create_key(database, keys, case_id)
    assert await get_key(database, keys, case_id) == key
    async with database.sessions() as s:
        stored = await s.scalar(select(table.c.wrapped_key).where(table.c.case_id == case_id))
    assert stored is not None and key not in stored


async def test_a_key_created_in_a_rolled_back_transaction_does_not_exist(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    keys, case_id = CaseKeyStore(table, MASTER), uuid.uuid4()
    async with UnitOfWork(database.sessions) as uow:
        await keys.create(uow.session, case_id)
        # leaving without commit
    with pytest.raises(UnknownCaseKeyError):
        await get_key(database, keys, case_id)


async def test_a_destroyed_key_cannot_be_read_and_leaves_no_key_bytes_in_its_row(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    keys, case_id = CaseKeyStore(table, MASTER), uuid.uuid4()
    await create_key(database, keys, case_id)
    await destroy_key(database, keys, case_id)
    with pytest.raises(KeyDestroyedError):
        await get_key(database, keys, case_id)
    async with database.sessions() as s:
        row = (await s.execute(select(table).where(table.c.case_id == case_id))).mappings().one()
    assert row["wrapped_key"] is None
    assert row["destroyed_at"] is not None and row["destroyed_at"].utcoffset() is not None


async def test_destroying_a_key_twice_reports_only_the_first_destruction(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    keys, case_id = CaseKeyStore(table, MASTER), uuid.uuid4()
    await create_key(database, keys, case_id)
    assert await destroy_key(database, keys, case_id) is True
    assert await destroy_key(database, keys, case_id) is False


async def test_shredding_a_case_makes_its_sealed_values_unreadable_and_spares_other_cases(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    keys, shredded, kept = CaseKeyStore(table, MASTER), uuid.uuid4(), uuid.uuid4()
    sealed = {}
    for case_id in (shredded, kept):
        key = await create_key(database, keys, case_id)
        aad = case_aad(case_id, "family_name")
        sealed[case_id] = seal_text(SEEDED_FAMILY_NAME, key, kid=case_kid(case_id), aad=aad)
    assert open_text(sealed[shredded], await get_key(database, keys, shredded), aad=case_aad(shredded, "family_name"))
    await destroy_key(database, keys, shredded)
    with pytest.raises(KeyDestroyedError):
        await get_key(database, keys, shredded)
    kept_key = await get_key(database, keys, kept)
    assert open_text(sealed[kept], kept_key, aad=case_aad(kept, "family_name")) == SEEDED_FAMILY_NAME


async def test_a_store_with_another_master_key_id_refuses_to_unwrap(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    case_id = uuid.uuid4()
    await create_key(database, CaseKeyStore(table, MASTER), case_id)
    with pytest.raises(CryptoError, match="another master key") as caught:
        await get_key(database, CaseKeyStore(table, MasterKey("local-2", bytes(32))), case_id)
    assert MASTER.key.hex() not in str(caught.value)


async def test_a_store_with_the_right_key_id_but_wrong_key_bytes_cannot_unwrap(store) -> None:  # type: ignore[no-untyped-def]
    database, table = store
    case_id = uuid.uuid4()
    await create_key(database, CaseKeyStore(table, MASTER), case_id)
    with pytest.raises(DecryptionError):
        await get_key(database, CaseKeyStore(table, MasterKey(MASTER.key_id, bytes(32))), case_id)
