"""The outbox and inbox on a real PostgreSQL (the relay's Kafka side is faked at its boundary)."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared.contracts.topics import TRIAGE_EVENTS
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox, OutboxRelay
from shared.persistence.unit_of_work import UnitOfWork
from shared.telemetry.tracing import setup_tracing
from tests.integration.outbox_support import RecordingPublisher, an_event, outbox_rows, stage_three

pytestmark = pytest.mark.infra


async def test_events_staged_in_a_rolled_back_transaction_are_never_published(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    async with UnitOfWork(database.sessions) as uow:
        await Outbox(tables).stage(uow.session, TRIAGE_EVENTS, an_event())
        # leaving without commit: the state change and its event go together
    assert await outbox_rows(database, tables) == 0


async def test_a_staged_event_keeps_the_trace_it_was_staged_in(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    tracer = setup_tracing("probe").get_tracer("t")
    with tracer.start_as_current_span("handler") as span:
        async with UnitOfWork(database.sessions) as uow:
            await Outbox(tables, "acc.").stage(uow.session, TRIAGE_EVENTS, an_event())
            await uow.commit()
        trace_id = format(span.get_span_context().trace_id, "032x")
    async with database.sessions() as s:
        row = (await s.execute(select(tables.outbox))).mappings().one()
    assert row["topic"] == "acc.zorgtafel.triage.events.v1"
    assert trace_id in row["headers"]["traceparent"]
    assert row["headers"]["content-type"] == "application/json"


async def test_the_relay_publishes_in_order_and_then_forgets_the_rows(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = await stage_three(database, tables)
    publish = RecordingPublisher()
    relay = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    assert await relay.relay_once() == 3
    assert [p["key"] for p in publish.published] == [str(e.case_id).encode() for e in events]
    assert await outbox_rows(database, tables) == 0


async def test_a_batch_staged_in_one_statement_is_published_in_the_order_given(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = [an_event() for _ in range(300)]
    async with UnitOfWork(database.sessions) as uow:
        await Outbox(tables).stage_many(uow.session, [(TRIAGE_EVENTS, e) for e in events])
        await uow.commit()
    publish = RecordingPublisher()
    relay = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    while await relay.relay_once():
        pass
    assert [p["key"] for p in publish.published] == [str(e.case_id).encode() for e in events]


async def test_a_failed_publish_keeps_that_event_and_all_after_it(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = await stage_three(database, tables)
    publish = RecordingPublisher(fail_on=events[1].event_id)
    relay = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    assert await relay.relay_once() == 1  # the first left; the second and the third (same topic) wait
    assert len(publish.published) == 1
    assert await outbox_rows(database, tables) == 2
    publish.fail_on = None
    assert await relay.relay_once() == 2
    assert [p["key"] for p in publish.published] == [str(e.case_id).encode() for e in events]


async def test_the_inbox_remembers_a_processed_message(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    inbox, message_id = Inbox(tables, "probe.handler"), uuid.uuid4()
    async with UnitOfWork(database.sessions) as uow:
        assert not await inbox.seen(uow.session, message_id)
        await inbox.record(uow.session, message_id)
        await uow.commit()
    async with UnitOfWork(database.sessions) as uow:
        assert await inbox.seen(uow.session, message_id)
        assert not await Inbox(tables, "other.handler").seen(uow.session, message_id)


async def test_the_inbox_records_a_batch_and_finds_exactly_its_members(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    inbox, processed = Inbox(tables, "batch-consumer"), [uuid.uuid4() for _ in range(500)]
    async with UnitOfWork(database.sessions) as uow:
        await inbox.record_many(uow.session, processed)
        await uow.commit()
    async with database.sessions() as session:
        assert await inbox.seen_many(session, [*processed[::7], uuid.uuid4()]) == set(processed[::7])
        assert await Inbox(tables, "another-consumer").seen_many(session, processed) == set()


async def test_a_concurrent_duplicate_cannot_be_recorded_twice(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    inbox, message_id = Inbox(tables, "probe.handler"), uuid.uuid4()
    async with UnitOfWork(database.sessions) as uow:
        await inbox.record(uow.session, message_id)
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with UnitOfWork(database.sessions) as uow:
            await inbox.record(uow.session, message_id)
            await uow.commit()
