"""Putting dead letters back on the topic they came from, each replay audited.

A replayed letter goes to its original topic and partition (per-partition order is the order the
hub's consumers rely on), with only the headers the hub vouched for and `zt-replayed-from`. Every
consumer of that topic sees it again; those that had processed it already find it in their inbox
and do nothing twice, so a replay can only make up for what failed. After each replay a
`DeadLetterReplayed` record goes to the audit topic (covenant Bijlage 3: who did what is logged).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.contracts.operations import DeadLetterReplayed
from shared.messaging.security import KafkaAccess
from shared.operations.dead_letters import DeadLetter

KEPT_HEADERS = ("traceparent", "content-type")


AUDIT_ATTEMPTS = 5


class NotReplayableError(ValueError):
    """A letter whose original is not here whole (a stub) or whose origin is unknown."""


class ReplayIncompleteError(RuntimeError):
    """The broker failed part-way. `done`: the offsets replayed and recorded; `at`: the letter it
    failed on; `sent`: whether that letter was replayed (its audit record then failed)."""

    def __init__(self, done: list[int], at: int, sent: bool) -> None:
        self.done, self.at, self.sent = done, at, sent
        state = "replayed, but its audit record could not be written" if sent else "not replayed"
        super().__init__(f"replayed and recorded: {done or 'none'}; offset {at}: {state}")


async def replay(
    access: KafkaAccess,
    letters: Sequence[DeadLetter],
    *,
    operator: str,
    dead_letter_topic: str,
    audit_topic: str,
) -> list[DeadLetterReplayed]:
    """Replay each letter, then record it; returns the records. Raises NotReplayableError before
    sending anything when a letter cannot be replayed, and ReplayIncompleteError when the broker
    fails part-way (which letters were replayed and recorded, and where it stopped)."""
    refused = [letter.offset for letter in letters if not letter.replayable]
    if refused:
        raise NotReplayableError(f"not replayable (stub or unknown origin): offsets {refused}")
    producer = AIOKafkaProducer(**access.aiokafka(), acks="all", enable_idempotence=True)
    records: list[DeadLetterReplayed] = []
    try:
        await producer.start()
        for letter in letters:
            headers = [(k, letter.headers[k].encode()) for k in KEPT_HEADERS if k in letter.headers]
            headers.append(("zt-replayed-from", f"{dead_letter_topic}@{letter.offset}".encode()))
            done = [r.dead_letter_offset for r in records]
            try:
                sent = await producer.send_and_wait(
                    letter.origin_topic, letter.value, partition=letter.origin_partition, headers=headers
                )
            except Exception as exc:
                raise ReplayIncompleteError(done, letter.offset, sent=False) from exc
            record = DeadLetterReplayed(
                producer="operations", correlation_id=uuid.uuid4(), operator=operator,
                dead_letter_topic=dead_letter_topic, dead_letter_offset=letter.offset,
                origin_topic=letter.origin_topic, origin_partition=letter.origin_partition,
                origin_offset=letter.origin_offset, replayed_offset=sent.offset,
                consumer=letter.consumer[:64], reason=letter.reason if re.fullmatch(r"[a-z][a-z_-]{0,39}", letter.reason) else "unknown",
            )
            # The replay is on the topic: its record must follow, so it is tried again before giving up.
            for attempt in range(1, AUDIT_ATTEMPTS + 1):
                try:
                    await producer.send_and_wait(
                        audit_topic, record.model_dump_json().encode(), headers=[("content-type", b"application/json")]
                    )
                    break
                except Exception as exc:
                    if attempt == AUDIT_ATTEMPTS:
                        raise ReplayIncompleteError(done, letter.offset, sent=True) from exc
                    await asyncio.sleep(0.5 * 2**attempt)
            records.append(record)
    finally:
        await producer.stop()
    return records
