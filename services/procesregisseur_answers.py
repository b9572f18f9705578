"""The services' answers to the staff tools' commands (issue 14, docs/decisions/0016): each service
stages `StaffCommandAnswered` on zorgtafel.staff.answers.v1 in the transaction that carries a
command out or refuses it; the tool that sent the command reads it there and says what became of it.

The tool reads without a consumer group: it assigns itself the topic's partitions and starts at
their end as it was *before* it sent anything, so no answer to its commands can come earlier, and
it commits no offsets (the broker gives zt-staff READ on this one topic and nothing on any group).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from shared.contracts.staff import StaffCommandAnswered
from shared.contracts.topics import STAFF_ANSWERS
from shared.messaging.security import KafkaAccess

# How long to wait for the topic's end offsets: a tool without READ on the answers topic (the
# broker's rules not applied since this topic came) would otherwise wait aiokafka's 40 s for them.
OPEN_TIMEOUT_S = 10.0
# The longest single fetch: a wait is this fine-grained at worst.
POLL_S = 1.0


class AnswersUnavailableError(RuntimeError):
    """The answers topic cannot be read (it does not exist, or this principal may not read it)."""


class Fetcher(Protocol):
    """What `Answers` needs of a Kafka consumer: `AIOKafkaConsumer.getmany`."""

    async def getmany(self, *partitions: TopicPartition, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]: ...


class Answers:
    """Answers to the commands this tool `expect`s, in the order they come; others are dropped
    (another staff member's, or an answer nobody here waits for any more)."""

    def __init__(self, consumer: Fetcher, clock: Callable[[], float] = time.monotonic) -> None:
        self._consumer, self._clock = consumer, clock
        self._expected: set[UUID] = set()
        self._arrived: dict[UUID, StaffCommandAnswered] = {}

    def expect(self, command_id: UUID) -> None:
        """Say, before the command is sent, that its answer is wanted."""
        self._expected.add(command_id)

    async def answer_to(self, command_id: UUID, timeout_s: float) -> StaffCommandAnswered | None:
        """The answer to an expected command, read for at most `timeout_s` seconds; None when none
        came in time (the service is down or behind, or the command could not be processed at all
        and went to the dead-letter topic). An answer that arrives later is still returned by a
        later call for the same command."""
        deadline = self._clock() + timeout_s
        while command_id not in self._arrived:
            left = deadline - self._clock()
            if left <= 0:
                return None
            batches = await self._consumer.getmany(timeout_ms=max(1, int(min(left, POLL_S) * 1000)))
            for records in batches.values():
                for record in records:
                    self._keep(record.value)
        self._expected.discard(command_id)
        return self._arrived.pop(command_id)

    def _keep(self, value: bytes | None) -> None:
        try:
            answer = StaffCommandAnswered.model_validate(json.loads(value or b""))
        except (ValueError, ValidationError):
            return  # not an answer this version can read: it answers nothing asked here
        if answer.command_id in self._expected:
            self._arrived[answer.command_id] = answer


@asynccontextmanager
async def answers_for(access: KafkaAccess, topic_prefix: str) -> AsyncIterator[Answers]:
    """The answers topic of the environment (`topic_prefix`), read from its present end as
    `access` (the staff tools' principal). Raises AnswersUnavailableError when it cannot be read."""
    name = STAFF_ANSWERS.named(topic_prefix)
    consumer = AIOKafkaConsumer(**access.aiokafka(), enable_auto_commit=False)  # no group_id: no group
    await consumer.start()
    try:
        partitions = [TopicPartition(name, p) for p in range(STAFF_ANSWERS.partitions)]
        consumer.assign(partitions)
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(partitions), OPEN_TIMEOUT_S)
        except TimeoutError:
            raise AnswersUnavailableError(
                f"{name} cannot be read as the staff tools (run `zorgtafel security apply`)"
            ) from None
        for partition, end in ends.items():
            consumer.seek(partition, end)
        yield Answers(consumer)
    finally:
        await consumer.stop()
