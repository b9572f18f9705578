"""Consumers that take a fetch at a time: one transaction and one offset commit for many records,
each record handled by the same use case a record-at-a-time consumer calls (issue 13).

`batch_consumer` subscribes; for each batch it reads every record (`Parse`): what can never be
processed is dead-lettered alone, what is not for this consumer is skipped, and the rest run in
order in one transaction (`one_transaction`: each use case's unit of work joins it). Each record's
step runs in the record's own trace, so its processing span and record stay in the case's trace.
A batch that fails for a reason that is not transient is taken apart: each record then gets the
exact treatment of a record-at-a-time consumer (shared/messaging/batch.py, `one_at_a_time`). What
a step returns is reported (`Done`, a log line) only once its transaction has committed, so a
batch taken apart reports nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter
from opentelemetry import context as otel_context
from pydantic import BaseModel

from shared.contracts.inbound import INBOUND_OWNERS
from shared.contracts.topics import PARTNER_INBOUND_PATTERN
from shared.messaging.batch import Poison, decoded, no_decoding, one_at_a_time, parse_record, trace_of
from shared.messaging.errors import PoisonMessageError
from shared.messaging.routing import sender_of
from shared.persistence.unit_of_work import one_transaction

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = structlog.get_logger(__name__)

# A record's message (any object), a Poison to dead-letter, or None when it is not this consumer's.
Parse = Callable[[Any], Any]
Step = Callable[[Any], Awaitable[Any]]
Done = Callable[[Any, Any], None]
# Records handled in one transaction: enough to spread a commit over many; a batch that falls
# back to one record at a time stays short.
BATCH_RECORDS = 200


def typed(models: dict[str, type[BaseModel]], *, skip_unknown: bool = True) -> Parse:
    """Parse a record into the contract its type names (`models`); events of other types are
    skipped (`skip_unknown`), commands of other types are poison (shared/messaging/routing.py)."""
    return partial(parse_record, models=models, skip_unknown=skip_unknown)


def from_parties(owner: str, topic_prefix: str, *, answers_all: bool = False) -> Parse:
    """Parse a record of a party's inbound topic into (party, body, origin) when its type is
    `owner`'s (INBOUND_OWNERS); None otherwise. One consumer answers for every record
    (`answers_all`, intake's): it dead-letters what nobody can read, and a type that no service
    owns is its own to reject. The others skip both: one record, one dead letter, one answer."""

    def parse(record: Any) -> tuple[str, dict[str, Any], tuple[str, int, int]] | Poison | None:
        try:
            party, origin = sender_of(record, topic_prefix)
            body = decoded(record)
            if not isinstance(body, dict):
                raise PoisonMessageError("undecodable", "body is not a JSON object")
        except PoisonMessageError as poison:
            return Poison(poison.reason, poison.detail) if answers_all else None
        if INBOUND_OWNERS.get(str(body.get("command_type")), owner if answers_all else None) != owner:
            return None
        return party, body, origin

    return parse


def batch_consumer(
    runtime: Runtime,
    router: KafkaRouter,
    handler: str,
    *topics: str,
    parse: Parse,
    step: Step,
    done: Done = lambda message, result: None,
    prepare: Callable[[list[Any]], Awaitable[None]] | None = None,
    **options: Any,
) -> None:
    """Subscribe `router` to `topics` (or `pattern=`) as the consumer group of `handler`, taking up
    to BATCH_RECORDS records per fetch. `step(message)` handles one parsed message through the
    service's own use case; `done(message, result)` reports it after the commit. `prepare(messages)`
    runs first in a batch's transaction (one query for what each step would ask). Options go to
    `Runtime.subscriber` (a partner-inbound consumer passes the fair per-partition fetch)."""
    subscriber = runtime.subscriber(
        router, handler, *topics, batch=True, max_records=BATCH_RECORDS, batch_timeout_ms=50,
        decoder=no_decoding, include_in_schema=False, **options,
    )

    async def each(item: tuple[Any, Any]) -> None:
        record, message = item
        token = otel_context.attach(trace_of(record))
        try:
            result = await step(message)
        finally:
            otel_context.detach(token)
        _report(done, message, result)
        runtime.relay.wake()

    async def together(items: list[tuple[Any, Any]]) -> None:
        results = []
        async with one_transaction(runtime.database.sessions):
            if prepare is not None:
                await prepare([message for _, message in items])
            for record, message in items:
                token = otel_context.attach(trace_of(record))
                try:
                    results.append(await step(message))
                finally:
                    otel_context.detach(token)
        for (_, message), result in zip(items, results, strict=True):
            _report(done, message, result)
        runtime.relay.wake()

    @subscriber
    async def on_batch(body: Any, msg: KafkaMessage) -> None:
        items: list[tuple[Any, tuple[Any, Any]]] = []
        for record in msg.raw_message:
            parsed = parse(record)
            if isinstance(parsed, Poison):  # dead-lettered once the batch is done with it
                await runtime.reliability.set_aside(record, parsed.reason, parsed.detail)
            elif parsed is not None:
                items.append((record, (record, parsed)))
        await one_at_a_time(items, together, each, runtime.reliability)


def _report(done: Done, message: Any, result: Any) -> None:
    """`done` after the commit. A failure to report must not fail the step: its retry (or the
    batch's taking apart) would run again a step that already committed."""
    try:
        done(message, result)
    except Exception as exc:
        log.warning("batch.report_failed", error_type=type(exc).__name__)


def party_consumer(
    runtime: Runtime,
    router: KafkaRouter,
    owner: str,
    *,
    step: Step,
    done: Done,
    answers_all: bool = False,
    prepare: Callable[[list[Any]], Awaitable[None]] | None = None,
) -> None:
    """`owner`'s consumer of every party's inbound topic: its messages as (party, body, origin)
    (`from_parties`), in batches whose turn per party stays the size of a partition's fetch, so a
    party's backlog cannot starve the others (issue 10, case 8)."""
    batch_consumer(
        runtime, router, "inbound", pattern=PARTNER_INBOUND_PATTERN,
        parse=from_parties(owner, runtime.settings.topic_prefix, answers_all=answers_all),
        step=step, done=done, prepare=prepare,
        max_partition_fetch_bytes=runtime.settings.fetch_bytes_per_partition,
    )
