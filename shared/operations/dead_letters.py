"""The dead-letter topic as operations see it: what failed, where, why, and putting it back.

Reading needs only READ on the dead-letter topic, without a consumer group (nothing is
committed, so two operators never take letters from each other). A letter's value is the
original bytes, sealed fields still sealed: it is shown as its size and its top-level field
names, never its values (covenant art. 15: a party sees only what its role needs).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.contracts.topics import DEAD_LETTER
from shared.messaging.errors import SAFE_FIELD_NAME
from shared.messaging.security import KafkaAccess

# A fetch that does not reach the end offsets seen at the start within this is an error, not a short list.
READ_TIMEOUT_S = 30.0
MAX_FIELDS = 50


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic (headers written by shared/messaging/reliability.py)."""

    offset: int
    reason: str
    detail: str
    consumer: str
    origin_topic: str
    origin_partition: int
    origin_offset: int
    failed_at: str
    # Set when the original was too large to keep: the value is then a stub (size and digest).
    original_size: int | None
    value: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        h = {k: v.decode(errors="replace") for k, v in record.headers}
        size = _number(h.get("zt-dlq-original-size"))
        return cls(
            offset=record.offset,
            reason=h.get("zt-dlq-reason", "?"),
            detail=h.get("zt-dlq-detail", ""),
            consumer=h.get("zt-dlq-consumer", "?"),
            origin_topic=h.get("zt-dlq-topic", ""),
            origin_partition=_number(h.get("zt-dlq-partition")),
            origin_offset=_number(h.get("zt-dlq-offset")),
            failed_at=h.get("zt-dlq-failed-at", ""),
            original_size=None if size < 0 else size,
            value=record.value or b"",
            headers=h,
        )

    @property
    def replayable(self) -> bool:
        """Whether the original is here whole and its origin is known."""
        return self.original_size is None and bool(self.origin_topic) and self.origin_partition >= 0

    def summary(self) -> dict[str, Any]:
        """What `ops dlq list` shows: where, why, when, how large. No content."""
        return {
            "offset": self.offset, "failed_at": self.failed_at, "consumer": self.consumer, "reason": self.reason,
            "origin": f"{self.origin_topic}[{self.origin_partition}]@{self.origin_offset}",
            "bytes": self.original_size if self.original_size is not None else len(self.value),
            "replayable": self.replayable,
        }

    def described(self) -> dict[str, Any]:
        """What `ops dlq show` adds: the detail, the headers the hub wrote and the shape of the
        value (its top-level field names), never a field's value."""
        return {
            **self.summary(),
            "detail": self.detail,
            "headers": {k: v for k, v in sorted(self.headers.items()) if k != "correlation_id"},
            "fields": field_names(self.value),
        }


def _number(header: str | None) -> int:
    """A numeric header, or -1 when absent or malformed (any service may write the topic): such a
    letter is listed, and not replayable."""
    return int(header) if header is not None and header.isdigit() and len(header) < 19 else -1


def field_names(value: bytes) -> list[str] | str:
    """The top-level keys of a JSON object, sorted, each as a field name or `<unknown-field>` (a
    key a sender typed may be anything, a name or a BSN: shown only when it has a field name's
    form, as the hub's validation errors do), at most MAX_FIELDS; otherwise what the value is."""
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(parsed, dict):
        return f"JSON {type(parsed).__name__}"
    names = sorted({k if SAFE_FIELD_NAME.match(k) else "<unknown-field>" for k in parsed})
    return names[:MAX_FIELDS] + ([f"... {len(names) - MAX_FIELDS} more"] if len(names) > MAX_FIELDS else [])


async def read_dead_letters(access: KafkaAccess, topic_prefix: str = "") -> list[DeadLetter]:
    """Every letter on the environment's dead-letter topic now, oldest first, read from the start
    to the end offsets seen at the start (letters arriving meanwhile wait for the next call)."""
    topic = DEAD_LETTER.named(topic_prefix)
    partitions = [TopicPartition(topic, p) for p in range(DEAD_LETTER.partitions)]  # as the registry made it
    consumer = AIOKafkaConsumer(**access.aiokafka(), enable_auto_commit=False, group_id=None, auto_offset_reset="earliest")
    try:
        await consumer.start()
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        # An explicit position: `seek_to_beginning` can lose a race with the reset the assignment
        # started, and the read would then begin at the end and find nothing.
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        letters: list[DeadLetter] = []
        deadline = asyncio.get_running_loop().time() + READ_TIMEOUT_S
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"dead-letter topic not read to its end within {READ_TIMEOUT_S:.0f} s")
            batch = await consumer.getmany(*partitions, timeout_ms=500)
            for records in batch.values():
                letters.extend(DeadLetter.from_record(r) for r in records if r.offset < ends[TopicPartition(r.topic, r.partition)])
        return sorted(letters, key=lambda d: d.offset)
    finally:
        await consumer.stop()
