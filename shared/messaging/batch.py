"""Batch consumption: many records, one transaction, and still no record lost or skipped silently.

A batch subscriber (FastStream `batch=True`) hands its handler a tuple of records. The handler
parses each itself, so one bad record is dead-lettered alone instead of taking its batch with it
(`parse_record`), and runs the good ones together; when the batch's transaction fails for a reason
that is not transient it falls back to one record at a time, dead-lettering only those that fail
alone (`one_at_a_time`, `alone`); `usable` does the parsing and dead-lettering for a batch. Transient errors propagate: the reliability middleware then retries the
whole batch from each partition's first offset, which the handlers' inboxes make safe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

import structlog
from faststream.message import StreamMessage
from faststream.message.utils import decode_message
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import BaseModel, ValidationError

from shared.messaging.errors import HandlerTimeoutError, Kind, PoisonMessageError, is_transient, kind_of, poison_reason
from shared.messaging.reliability import ReliableConsumption, describe_validation_error, settle
from shared.messaging.routing import message_type_of
from shared.telemetry.processing import forget_failed

# A batch subscriber's fetch per partition: whole batches, not the small fair turn the hub's
# record-at-a-time consumers take (Runtime.subscriber).
BATCH_FETCH_BYTES = 1_048_576

M = TypeVar("M", bound=BaseModel)
_TRACE_CONTEXT = TraceContextTextMapPropagator()
log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Poison:
    """Why a record can never be processed; `detail` holds no personal data."""

    reason: str
    detail: str


def body_of(record: Any) -> dict[str, Any] | Poison:
    """The record's JSON object, or a Poison for a tombstone, bytes that are not JSON (or not
    UTF-8), what the parser refuses, or JSON that is not an object."""
    try:
        body = json.loads(record.value)
    except (TypeError, ValueError, RecursionError) as exc:
        return Poison("undecodable", type(exc).__name__)
    if not isinstance(body, dict):
        return Poison("undecodable", "body is not a JSON object")
    return body


def parse_record(record: Any, models: dict[str, type[BaseModel]], *, skip_unknown: bool) -> BaseModel | Poison | None:
    """The record's typed message; a Poison for bytes that are not a JSON object, an invalid
    message of a known type, or (unless `skip_unknown`, as for events) an unknown type; None for
    an unknown type that is skipped."""
    body = body_of(record)
    if isinstance(body, Poison):
        return body
    kind = message_type_of(body)
    model = models.get(kind or "")
    if model is None:
        if skip_unknown:
            return None
        # The type string comes from outside: only say whether it was there.
        return Poison("unknown-message-type", "type missing" if kind is None else "type unknown")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        return Poison("schema-invalid", describe_validation_error(exc))


async def usable(
    records: Sequence[Any], models: dict[str, type[BaseModel]], reliability: ReliableConsumption, *, skip_unknown: bool
) -> list[tuple[Any, BaseModel]]:
    """The batch's records with their typed messages, in order; the poison among them is set
    aside (dead-lettered alone once the batch is done with it), and skipped types (events) are
    left out."""
    found: list[tuple[Any, BaseModel]] = []
    for record in records:
        parsed = parse_record(record, models, skip_unknown=skip_unknown)
        if isinstance(parsed, Poison):
            await reliability.set_aside(record, parsed.reason, parsed.detail)
        elif parsed is not None:
            found.append((record, parsed))
    return found


async def alone(record: Any, message: T, handle: Callable[[T], Awaitable[Any]], reliability: ReliableConsumption) -> None:
    """One message of a batch handled on its own, with the semantics a record-at-a-time consumer
    has (shared/messaging/reliability.py): a transient or fatal failure propagates (the batch is
    retried, or the service stops); a bug is retried up to the attempts, with backoff; then, or at
    once for a permanent failure, the failed processing's record is written and the record is
    dead-lettered with its reason. Raises what writing those raises (nothing is committed then)."""
    attempt = 0
    while True:
        try:
            await bounded(handle(message), reliability)
            settle(record)
            return
        except Exception as exc:
            kind = kind_of(exc)
            if kind in (Kind.TRANSIENT, Kind.FATAL):
                raise
            attempt += 1
            if kind is Kind.BUG and attempt < reliability.max_attempts:
                forget_failed()  # the retry is the processing's next try, with its own record
                await asyncio.sleep(reliability.backoff(attempt))
                continue
            poison = poison_reason(exc) if kind is Kind.PERMANENT else ("handler-failed", type(exc).__name__)
        if reliability.before_dead_letter is not None:
            await reliability.before_dead_letter(kind is not Kind.PERMANENT)
        await reliability.dead_letter(record, *poison)
        settle(record)
        forget_failed()
        return


async def one_at_a_time(
    items: Sequence[tuple[Any, T]],
    together: Callable[[list[T]], Awaitable[Any]],
    each: Callable[[T], Awaitable[Any]],
    reliability: ReliableConsumption,
) -> None:
    """Run `items` (record, message) together; if that fails for a reason that is not transient,
    each alone, dead-lettering the records whose message fails on its own."""
    if not items:
        return
    try:
        await bounded(together([message for _, message in items]), reliability)
        return
    except Exception as exc:  # a non-transient cause is found, and reported, one record at a time below
        if is_transient(exc) or kind_of(exc) is Kind.FATAL:
            raise
        # Operations see it: a batch that keeps falling apart costs a transaction per record.
        reliability.batches_taken_apart += 1
        log.warning("batch.taken_apart", records=len(items), error_type=type(exc).__name__)
    forget_failed()  # the batch's attempt rolled back whole; each record's own try records its own
    for record, message in items:
        await alone(record, message, each, reliability)


async def bounded(step: Awaitable[T], reliability: ReliableConsumption) -> T:
    """`step` within the handler timeout (a batch is bounded step by step, not as a whole: the
    middleware would otherwise blame every record for the one that hangs). Raises
    HandlerTimeoutError (a BUG: retried, then dead-lettered alone)."""
    bound = asyncio.timeout(reliability.handler_timeout_s)
    try:
        async with bound:
            return await step
    except TimeoutError:
        if bound.expired():
            raise HandlerTimeoutError() from None
        raise


def decoded(record: Any) -> Any:
    """The record's body as a hub subscriber decodes it (FastStream's decoding by content type,
    through `strict_decoder`): JSON for `application/json` or no content type, text for
    `text/plain`, else the bytes. Raises PoisonMessageError("undecodable") for what the JSON
    parser refuses."""
    content_type = next((v.decode("latin-1") for k, v in (record.headers or ()) if k == "content-type"), None)
    message = SimpleNamespace(body=record.value or b"", content_type=content_type)
    try:
        return decode_message(message)  # type: ignore[arg-type]
    except (ValueError, RecursionError) as exc:
        raise PoisonMessageError("undecodable", type(exc).__name__) from None


def trace_of(record: Any) -> Context:
    """The record's own trace (its W3C `traceparent`, nothing else of its headers: a partner's
    tracestate or baggage stays out), or an empty context: a record without one starts its own
    trace rather than joining the batch's, so a trace never mixes cases."""
    parent = next((v.decode("latin-1") for k, v in (record.headers or ()) if k == "traceparent"), None)
    return _TRACE_CONTEXT.extract({"traceparent": parent}) if parent else Context()


async def no_decoding(msg: StreamMessage[Any], original: Any) -> None:
    """Decoder of a batch subscriber whose handler parses each record itself (`parse_record`)."""
    return None
