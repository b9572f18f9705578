"""The relay's treatment of each kind of failure, on a real PostgreSQL (Kafka faked at its
boundary): a row Kafka refuses for good is parked and alerted, a broken producer stops the
service, and a second relay waits while one is active (shared/messaging/outbox.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import errors as kafka
from sqlalchemy import select, update

from shared.messaging.outbox import OutboxRelay
from shared.telemetry.tracing import setup_tracing
from tests.integration.outbox_support import RecordingPublisher, outbox_rows, stage_three

DLQ = "zorgtafel.dead-letter.v1"


class RefusingPublisher(RecordingPublisher):
    """Raises `error` for the message whose payload holds `refuse`, publishes the rest."""

    def __init__(self, refuse: str, error: Exception) -> None:
        super().__init__()
        self.refuse, self.error = refuse, error

    async def __call__(self, payload: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        if topic != DLQ and self.refuse.encode() in payload:
            raise self.error
        await super().__call__(payload, topic=topic, key=key, headers=headers)


async def test_a_row_kafka_refuses_for_good_is_parked_alerted_and_passed(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = await stage_three(database, tables)
    publish = RefusingPublisher(str(events[0].event_id), kafka.MessageSizeTooLargeError())
    relay = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"), dead_letter_topic=DLQ, service="probe")
    assert await relay.relay_once() == 3
    sent = [p for p in publish.published if p["topic"] != DLQ]
    (alert,) = [p for p in publish.published if p["topic"] == DLQ]
    assert [p["key"] for p in sent] == [str(e.case_id).encode() for e in events[1:]]
    assert alert["headers"]["zt-dlq-reason"] == "outbox-unpublishable"
    assert alert["headers"]["zt-dlq-detail"] == "MessageSizeTooLargeError"
    assert json.loads(alert["payload"])["message_id"] == str(events[0].event_id)
    assert await outbox_rows(database, tables) == 1  # kept, parked
    assert await relay.relay_once() == 0  # and not tried again


async def test_a_broken_producer_stops_the_service_and_keeps_the_row(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = await stage_three(database, tables)
    stopped: list[bool] = []
    publish = RefusingPublisher(str(events[0].event_id), kafka.OutOfOrderSequenceNumber())
    relay = OutboxRelay(
        tables, database.sessions, publish, setup_tracing("probe"), poll_interval_s=0.01, on_fatal=lambda: stopped.append(True)
    )
    relay.start()
    try:
        for _ in range(200):
            if stopped:
                break
            await asyncio.sleep(0.01)
    finally:
        await relay.stop()
    assert stopped and publish.published == []
    assert await outbox_rows(database, tables) == 3


async def test_a_second_relay_waits_while_one_is_active(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    await stage_three(database, tables)
    publish = RecordingPublisher()
    first = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    second = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    held = asyncio.Event()
    release = asyncio.Event()
    original = first._publish_row

    async def slow(row: Any) -> None:
        held.set()
        await release.wait()
        await original(row)

    first._publish_row = slow  # type: ignore[method-assign]
    running = asyncio.create_task(first.relay_once())
    await held.wait()
    assert await second.relay_once() == 0  # the first holds the relay's lock
    release.set()
    assert await running == 3


async def test_a_topic_that_cannot_take_rows_holds_back_only_its_own(store) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    events = await stage_three(database, tables)
    async with database.sessions() as s, s.begin():  # the first row goes to a topic the broker does not know
        first = (await s.execute(select(tables.outbox.c.id).order_by(tables.outbox.c.id).limit(1))).scalar_one()
        await s.execute(update(tables.outbox).where(tables.outbox.c.id == first).values(topic="deleted-topic"))

    class MissingTopic(RecordingPublisher):
        async def __call__(self, payload: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
            if topic == "deleted-topic":
                raise kafka.UnknownTopicOrPartitionError()
            await super().__call__(payload, topic=topic, key=key, headers=headers)

    publish = MissingTopic()
    relay = OutboxRelay(tables, database.sessions, publish, setup_tracing("probe"))
    assert await relay.relay_once() == 2
    assert [p["key"] for p in publish.published] == [str(e.case_id).encode() for e in events[1:]]
    assert await outbox_rows(database, tables) == 1  # waiting, not parked: the topic may come back
