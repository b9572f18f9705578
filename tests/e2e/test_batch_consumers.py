"""Delivery semantics of the shared batch consumer (shared/messaging/batched.py, issue 13) on the
real broker and PostgreSQL: a batch is one transaction, and still a poison record, a bug in one
message, a transient failure and an unknown type each get what a record-at-a-time consumer gives
them (tests/e2e/test_delivery_semantics.py): nothing lost, nothing skipped silently, nothing twice.

A small probe service is built from the same parts as every hub service; its step is the variable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaRouter
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from shared.contracts.envelope import Event
from shared.contracts.topics import DEAD_LETTER, Topic
from shared.messaging.admin import ensure_topics
from shared.messaging.batched import batch_consumer, typed
from shared.persistence.database import new_metadata
from shared.retention.policy import load_policy
from shared.runtime import Runtime
from shared.runtime_build import build_runtime
from shared.security.acls import service_acls
from shared.security.apply import grant
from shared.security.endpoints import endpoints_of
from shared.settings import ServiceSettings
from tests.infra import Infra
from tests.support import eventually, read_topic, settings_for

pytestmark = pytest.mark.infra

TOPIC = Topic("zorgtafel.batchprobe.events.v1", "test-only topic", partitions=1)
PROBE = "zt-batchprobe"


class Happened(Event):
    event_type: Literal["batchprobe.happened"] = "batchprobe.happened"
    schema_version: Literal[1] = 1


# What the step does before it records the event (the variable), given the event and its session.
Behaviour = Callable[[Happened, object], Awaitable[None]]


async def probe(
    infra: Infra, namespace: str, behaviour: Behaviour, report: Callable[[object, object], None] | None = None,
    **overrides: object,
) -> Runtime:
    settings = settings_for(ServiceSettings, infra, namespace, kafka_username=PROBE, **overrides)
    await ensure_topics(infra.admin(), (TOPIC,), policy=load_policy(), prefix=settings.topic_prefix)
    if infra.secured:
        grant(infra.admin(), PROBE, set(), settings.secret_file)
    runtime = build_runtime("batchprobe", settings, new_metadata(), schema="from-models")
    router, inbox = KafkaRouter(), runtime.inbox("probe")

    async def step(event: Happened) -> None:  # a use case as the services write them
        async with runtime.unit_of_work() as uow:
            if await inbox.seen(uow.session, event.event_id):
                return
            await behaviour(event, uow.session)
            await inbox.record(uow.session, event.event_id)
            await uow.commit()

    batch_consumer(
        runtime, router, "probe", TOPIC.name, parse=typed({"batchprobe.happened": Happened}), step=step,
        **({"done": report} if report else {}),
    )
    runtime.include(router)
    if infra.secured:
        endpoints = endpoints_of("batchprobe", runtime.broker, settings.topic_prefix)
        grant(infra.admin(), PROBE, service_acls(endpoints, (), settings.topic_prefix), settings.secret_file)
    return runtime


async def publish(infra: Infra, namespace: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(**infra.admin().aiokafka())
    await producer.start()
    try:
        for value in values:
            await producer.send(TOPIC.named(f"{namespace}."), value, headers=[("content-type", b"application/json")])
        await producer.flush()
    finally:
        await producer.stop()


def events(n: int) -> list[Happened]:
    return [Happened(case_id=uuid.uuid4(), producer="test", correlation_id=uuid.uuid4()) for _ in range(n)]


async def processed(runtime: Runtime) -> list[uuid.UUID]:
    async with runtime.database.sessions() as s:
        return list((await s.scalars(select(runtime.tables.inbox.c.message_id))).all())


def done(runtime: Runtime, n: int) -> Callable[[], Awaitable[bool | None]]:
    async def check() -> bool | None:
        async with runtime.database.sessions() as s:
            return (await s.scalar(select(func.count()).select_from(runtime.tables.inbox)) or 0) >= n or None

    return check


async def test_a_backlog_is_handled_in_a_transaction_per_batch_not_per_record(infra: Infra, namespace: str) -> None:
    sessions: list[int] = []

    async def note_session(event: Happened, session: object) -> None:
        sessions.append(id(session))

    backlog = events(30)
    runtime = await probe(infra, namespace, note_session)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in backlog))  # before it starts
    async with runtime.app():
        await eventually(done(runtime, 30))
    assert sorted(await processed(runtime)) == sorted(e.event_id for e in backlog)
    # One fetch is one batch: a record-at-a-time consumer would have used 30 transactions.
    assert len(sessions) == 30 and len(set(sessions)) <= 2
    assert runtime.reliability.batches_taken_apart == 0


async def test_a_bug_in_one_message_dead_letters_it_alone_and_keeps_the_rest_once(infra: Infra, namespace: str) -> None:
    backlog = events(5)
    bad = backlog[2].event_id

    async def broken_for_one(event: Happened, session: object) -> None:
        if event.event_id == bad:
            raise RuntimeError("a bug in the handler")

    runtime = await probe(infra, namespace, broken_for_one, max_handler_attempts=2, retry_base_delay_s=0.05)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in backlog))
    async with runtime.app():
        await eventually(done(runtime, 4))
        (dead,) = await eventually(lambda: read_topic(infra, DEAD_LETTER, namespace))
    headers = {k: v.decode() for k, v in dead.headers}
    assert (headers["zt-dlq-reason"], headers["zt-dlq-detail"], headers["zt-dlq-offset"]) == ("handler-failed", "RuntimeError", "2")
    assert Happened.model_validate_json(dead.value).event_id == bad
    assert sorted(await processed(runtime)) == sorted(e.event_id for e in backlog if e.event_id != bad)
    assert runtime.reliability.batches_taken_apart == 1


async def test_a_poison_record_is_dead_lettered_alone_and_the_rest_stay_one_batch(infra: Infra, namespace: str) -> None:
    backlog = events(4)
    runtime = await probe(infra, namespace, lambda event, session: _nothing())
    values = [e.model_dump_json().encode() for e in backlog]
    await publish(infra, namespace, *values[:2], b"{not json", b'{"event_type": "batchprobe.someday"}', *values[2:])
    async with runtime.app():
        await eventually(done(runtime, 4))
        (dead,) = await eventually(lambda: read_topic(infra, DEAD_LETTER, namespace))
    assert {k: v.decode() for k, v in dead.headers}["zt-dlq-reason"] == "undecodable"  # the newer type: skipped
    assert sorted(await processed(runtime)) == sorted(e.event_id for e in backlog)
    assert runtime.reliability.batches_taken_apart == 0


async def test_a_transient_failure_retries_the_whole_batch_and_duplicates_nothing(infra: Infra, namespace: str) -> None:
    backlog, tries = events(6), []

    async def database_away_once(event: Happened, session: object) -> None:
        tries.append(event.event_id)
        if len(tries) == 4:  # the fourth message of the first try: the batch's work so far is rolled back
            raise OperationalError("INSERT", {}, ConnectionRefusedError())

    runtime = await probe(infra, namespace, database_away_once, retry_base_delay_s=0.05)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in backlog))
    async with runtime.app():
        await eventually(done(runtime, 6))
    assert sorted(await processed(runtime)) == sorted(e.event_id for e in backlog)  # each once (the inbox's key)
    assert tries[:4] == [e.event_id for e in backlog[:4]] and tries[4] == backlog[0].event_id  # from the start
    assert runtime.reliability.batches_taken_apart == 0
    assert await read_topic(infra, DEAD_LETTER, namespace) == []


async def test_a_transient_failure_after_a_batch_was_taken_apart_resumes_after_what_was_settled(
    infra: Infra, namespace: str
) -> None:
    a, bad, c = events(3)
    tries: list[uuid.UUID] = []

    async def bug_then_outage(event: Happened, session: object) -> None:
        tries.append(event.event_id)
        if event.event_id == bad.event_id:
            raise RuntimeError("a bug in the handler")
        if event.event_id == c.event_id and tries.count(c.event_id) == 1:
            raise OperationalError("INSERT", {}, ConnectionRefusedError())  # C's first try: alone, after B

    runtime = await probe(infra, namespace, bug_then_outage, max_handler_attempts=2, retry_base_delay_s=0.05)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in (a, bad, c)))
    async with runtime.app():
        await eventually(done(runtime, 2))
        dead = await eventually(lambda: read_topic(infra, DEAD_LETTER, namespace))
    # B was dead-lettered once, and neither A nor B ran again when C's outage retried the batch.
    assert [Happened.model_validate_json(d.value).event_id for d in dead] == [bad.event_id]
    assert (tries.count(a.event_id), tries.count(bad.event_id), tries.count(c.event_id)) == (2, 3, 2)
    assert sorted(await processed(runtime)) == sorted([a.event_id, c.event_id])


async def test_a_poison_record_is_dead_lettered_once_however_often_its_batch_is_retried(
    infra: Infra, namespace: str
) -> None:
    backlog, tries = events(2), []

    async def outage_twice(event: Happened, session: object) -> None:
        tries.append(event.event_id)
        if len(tries) <= 2:
            raise OperationalError("INSERT", {}, ConnectionRefusedError())

    runtime = await probe(infra, namespace, outage_twice, retry_base_delay_s=0.05)
    await publish(infra, namespace, backlog[0].model_dump_json().encode(), b"\xff not json", backlog[1].model_dump_json().encode())
    async with runtime.app():
        await eventually(done(runtime, 2))
        await eventually(lambda: read_topic(infra, DEAD_LETTER, namespace))
        await asyncio.sleep(1)  # a second copy would be on the topic by now
        dead = await read_topic(infra, DEAD_LETTER, namespace)
    assert len(dead) == 1 and {k: v.decode() for k, v in dead[0].headers}["zt-dlq-reason"] == "undecodable"


async def test_a_step_that_hangs_is_dead_lettered_alone_and_the_rest_of_its_batch_goes_on(
    infra: Infra, namespace: str
) -> None:
    backlog = events(4)
    hangs = backlog[1].event_id

    async def one_hangs(event: Happened, session: object) -> None:
        if event.event_id == hangs:
            await asyncio.sleep(30)

    runtime = await probe(infra, namespace, one_hangs, handler_timeout_s=1.0, max_handler_attempts=2, retry_base_delay_s=0.05)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in backlog))
    async with runtime.app():
        await eventually(done(runtime, 3))
        (dead,) = await eventually(lambda: read_topic(infra, DEAD_LETTER, namespace))
    headers = {k: v.decode() for k, v in dead.headers}
    assert (headers["zt-dlq-reason"], headers["zt-dlq-detail"]) == ("handler-failed", "HandlerTimeoutError")
    assert Happened.model_validate_json(dead.value).event_id == hangs
    assert sorted(await processed(runtime)) == sorted(e.event_id for e in backlog if e.event_id != hangs)


async def _nothing() -> None:
    return None


async def test_a_report_that_fails_after_the_commit_neither_retries_nor_dead_letters_anything(
    infra: Infra, namespace: str
) -> None:
    def report(message: object, result: object) -> None:
        raise RuntimeError("the log line could not be written")

    backlog = events(5)
    runtime = await probe(infra, namespace, _noted, report, max_handler_attempts=2, retry_base_delay_s=0.05)
    await publish(infra, namespace, *(e.model_dump_json().encode() for e in backlog))
    async with runtime.app():
        await eventually(done(runtime, 5))
        await asyncio.sleep(1)  # a retry or a dead letter would come within this
    assert runtime.reliability.batches_taken_apart == 0
    assert await read_topic(infra, DEAD_LETTER, namespace) == []


async def _noted(event: Happened, session: object) -> None:
    return None
