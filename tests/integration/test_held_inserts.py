"""Inserts held until the commit (shared/persistence/deferred.py, issue 13): a batch's inbox,
outbox and partner-message rows reach PostgreSQL in one statement per table, in order, with the
transaction or not at all, and what a batch recorded is seen by its later messages."""

from __future__ import annotations

import uuid

from sqlalchemy import event, func, select

from shared.contracts.topics import INTAKE_EVENTS
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.deferred import held, write_now
from shared.persistence.unit_of_work import UnitOfWork
from tests.integration.outbox_support import an_event


async def count(database, table) -> int:  # type: ignore[no-untyped-def]
    async with database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def test_held_rows_reach_the_database_at_commit_in_the_order_they_were_staged(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    outbox, events = Outbox(tables), [an_event() for _ in range(5)]
    async with UnitOfWork(database.sessions) as uow:
        for event in events:
            await outbox.stage(uow.session, INTAKE_EVENTS, event)
        assert await count(database, tables.outbox) == 0  # nothing written yet
        assert len(list(held(uow.session, tables.outbox))) == 5
        await uow.commit()
    async with database.sessions() as s:
        ids = (await s.scalars(select(tables.outbox.c.message_id).order_by(tables.outbox.c.id))).all()
    assert ids == [e.message_id for e in events]


async def test_a_rolled_back_transaction_writes_none_of_its_held_rows(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    async with UnitOfWork(database.sessions) as uow:
        await Outbox(tables).stage(uow.session, INTAKE_EVENTS, an_event())
        await Inbox(tables, "probe").record(uow.session, uuid.uuid4())
    assert (await count(database, tables.outbox), await count(database, tables.inbox)) == (0, 0)


async def test_a_message_recorded_earlier_in_the_transaction_is_seen(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    inbox, message_id = Inbox(tables, "probe"), uuid.uuid4()
    async with UnitOfWork(database.sessions) as uow:
        await inbox.record(uow.session, message_id)
        assert await inbox.seen(uow.session, message_id)
        assert await inbox.seen_many(uow.session, [message_id, uuid.uuid4()]) == {message_id}
        assert not await Inbox(tables, "other").seen(uow.session, message_id)


async def test_inside_a_savepoint_rows_are_written_at_once_and_leave_with_it(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    outbox = Outbox(tables)
    async with UnitOfWork(database.sessions) as uow:
        try:
            async with uow.session.begin_nested():
                await outbox.stage(uow.session, INTAKE_EVENTS, an_event())
                assert not list(held(uow.session, tables.outbox))
                raise RuntimeError("the message in the savepoint failed")
        except RuntimeError:
            pass
        await outbox.stage(uow.session, INTAKE_EVENTS, kept := an_event())
        await uow.commit()
    async with database.sessions() as s:
        assert (await s.scalars(select(tables.outbox.c.message_id))).all() == [kept.message_id]


async def test_held_rows_can_be_written_before_a_statement_that_must_find_them(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    async with UnitOfWork(database.sessions) as uow:
        await Inbox(tables, "probe").record(uow.session, uuid.uuid4())
        await write_now(uow.session)
        assert not list(held(uow.session, tables.inbox))
        assert await uow.session.scalar(select(func.count()).select_from(tables.inbox)) == 1


async def test_a_prefetched_batch_is_answered_without_a_query_per_message(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    inbox, before, new = Inbox(tables, "probe"), uuid.uuid4(), uuid.uuid4()
    async with UnitOfWork(database.sessions) as uow:
        await inbox.record(uow.session, before)
        await uow.commit()
    statements: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    async with UnitOfWork(database.sessions) as uow:
        await inbox.prefetch(uow.session, [before, new])
        asked = len(statements)
        assert await inbox.seen(uow.session, before) and not await inbox.seen(uow.session, new)
        await inbox.record(uow.session, new)
        assert await inbox.seen(uow.session, new)  # recorded in this transaction: seen, prefetch or not
        assert len(statements) == asked
