"""One transaction for a batch's units of work (shared/persistence/unit_of_work.py, issue 13):
each message's use case keeps its own `async with unit_of_work()` and commit, the batch commits
them together, and a use case that would roll back alone cannot be half-kept in a batch."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, insert, select, text

from shared.contracts.topics import INTAKE_EVENTS
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UncommittedInBatch, UnitOfWork, one_transaction
from tests.integration.outbox_support import an_event


async def count(database, table) -> int:  # type: ignore[no-untyped-def]
    async with database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def handle(database, tables, message_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    """A use case as the services write them: its own unit of work, its own commit."""
    async with UnitOfWork(database.sessions) as uow:
        inbox = Inbox(tables, "probe")
        if await inbox.seen(uow.session, message_id):
            return
        await Outbox(tables).stage(uow.session, INTAKE_EVENTS, an_event())
        await inbox.record(uow.session, message_id)
        await uow.commit()


async def test_the_units_of_work_of_a_batch_commit_together_when_the_batch_ends(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    ids = [uuid.uuid4() for _ in range(3)]
    async with one_transaction(database.sessions):
        for message_id in ids:
            await handle(database, tables, message_id)
        assert await count(database, tables.inbox) == 0  # committed by no one yet
    assert (await count(database, tables.inbox), await count(database, tables.outbox)) == (3, 3)


async def test_a_unit_of_work_that_only_read_through_a_text_query_leaves_the_batch_intact(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    async with one_transaction(database.sessions):
        await handle(database, tables, uuid.uuid4())
        async with UnitOfWork(database.sessions) as uow:  # reads, leaves without a commit
            assert await uow.session.scalar(text("SELECT count(*) FROM inbox")) == 0  # held, not yet written
    assert await count(database, tables.inbox) == 1


async def test_a_message_seen_earlier_in_the_batch_is_left_without_writing(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    message_id = uuid.uuid4()
    async with one_transaction(database.sessions):
        await handle(database, tables, message_id)
        await handle(database, tables, message_id)  # a redelivery: reads, leaves without a commit
    assert (await count(database, tables.inbox), await count(database, tables.outbox)) == (1, 1)


async def test_a_failure_in_the_batch_rolls_back_every_unit_of_work_in_it(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    with pytest.raises(RuntimeError):
        async with one_transaction(database.sessions):
            await handle(database, tables, uuid.uuid4())
            raise RuntimeError("the second message failed")
    assert (await count(database, tables.inbox), await count(database, tables.outbox)) == (0, 0)


@pytest.mark.parametrize("write", ["held insert", "statement", "write after commit"])
async def test_a_unit_of_work_left_without_commit_after_writing_fails_the_batch(store, write: str) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    with pytest.raises(UncommittedInBatch):
        async with one_transaction(database.sessions):
            async with UnitOfWork(database.sessions) as uow:
                if write == "held insert":
                    await Inbox(tables, "probe").record(uow.session, uuid.uuid4())
                elif write == "statement":
                    await uow.session.execute(insert(tables.inbox).values(
                        consumer="probe", message_id=uuid.uuid4(), processed_at=func.now()))
                else:  # committed, then wrote more: alone, that would have been rolled back
                    await uow.commit()
                    await Inbox(tables, "probe").record(uow.session, uuid.uuid4())
    assert await count(database, tables.inbox) == 0


async def test_outside_a_batch_a_unit_of_work_left_without_commit_rolls_back_as_before(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    async with UnitOfWork(database.sessions) as uow:
        await Inbox(tables, "probe").record(uow.session, uuid.uuid4())
    assert await count(database, tables.inbox) == 0
