"""Delivery semantics of every hub consumer, in one broker middleware.

- At-least-once: the offset is committed only after the handler returned, i.e. after its
  database transaction committed (subscribers use `AckPolicy.MANUAL`; FastStream's Kafka
  default, ACK_FIRST, is at-most-once).
- Failures are treated by their kind (`shared.messaging.errors`): PERMANENT ones go to the
  dead-letter topic with the reason and their origin in headers, and the consumer moves on;
  TRANSIENT ones retry with capped exponential backoff, without limit and without counting as
  attempts; BUGs retry a bounded number of times, then dead-letter; FATAL ones (a broken producer)
  stop the service for its supervisor to restart.
- Never past a message that was not handled: when its dead letter cannot be written, the offset
  is not committed and the message is tried again after a backoff. A message too large to carry
  the dead-letter headers is dead-lettered as a stub (origin, size, SHA-256) that always fits.
- A dead letter carries only headers the hub wrote: a validated `traceparent`, a bare media type,
  its own `zt-dlq-*`; never what a partner put in (nor the consumed message's baggage).
- No personal data escapes through errors: exceptions are swallowed here, before FastStream's
  logging and tracing middlewares would record their messages (a pydantic ValidationError or a
  SQLAlchemy error quotes its input). Only exception types and field paths are logged.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import TopicPartition
from faststream import BaseMiddleware
from opentelemetry import context as otel_context

from shared.contracts.envelope import utcnow
from shared.contracts.topics import DEAD_LETTER
from shared.messaging.dead_letter import DLQ_HEADERS, fits_with, safe_headers, stub_of
from shared.messaging.errors import (
    HandlerTimeoutError,
    Kind,
    PoisonMessageError,
    describe_validation_error,
    kind_of,
    poison_reason,
    request_restart,
)
from shared.telemetry.processing import forget_failed

__all__ = ["DLQ_HEADERS", "PoisonMessageError", "ReliableConsumption", "classify", "describe_validation_error", "safe_headers"]

log = structlog.get_logger(__name__)

# Retries of one offset after which it is reported as stuck (again every as many): with a 30 s
# cap, about ten minutes.
STUCK_AFTER_RETRIES = 20


def classify(exc: BaseException) -> tuple[str, str] | None:
    """(reason, detail) for a message that can never succeed, or None when a retry may help."""
    return poison_reason(exc) if kind_of(exc) is Kind.PERMANENT else None


# The records of the batch being consumed that are settled on their own (handled in their own
# transaction, or dead-lettered) while the batch was taken apart (shared/messaging/batch.py).
_SETTLED: ContextVar[set[tuple[str, int, int]] | None] = ContextVar("zorgtafel_settled", default=None)
# Records of the batch being consumed that can never be processed, with (reason, detail): they are
# dead-lettered once the batch is done with them, not before (a batch retried after a transient
# failure would otherwise dead-letter them once per try).
_SET_ASIDE: ContextVar[dict[tuple[str, int, int], tuple[Any, str, str]] | None] = ContextVar(
    "zorgtafel_set_aside", default=None
)


def settle(record: Any) -> None:
    """Tell the middleware that `record` of the batch being consumed is done with: a retry of the
    batch resumes after it, it is never dead-lettered with the batch, and its offset is committed
    when the batch is retried (issue 13: a batch taken apart and then interrupted by a transient
    failure or a timeout must not handle or dead-letter its settled records twice)."""
    settled = _SETTLED.get()
    if settled is not None:
        settled.add((record.topic, record.partition, record.offset))


@dataclass
class ReliableConsumption:
    """Broker middleware factory; `bind(broker)` once the broker exists (dead letters use it)."""

    consumer_name: str
    dead_letter_topic: str = DEAD_LETTER.name
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_attempts: int = 5
    # A handler running longer is stopped and counts as a failed attempt (None: unbounded).
    handler_timeout_s: float | None = None
    broker: Any = None
    attempts: dict[tuple[str, int, int], int] = field(default_factory=dict)  # BUG failures: bounded
    # Batches whose transaction failed and whose records were then taken one at a time (batch.py).
    batches_taken_apart: int = 0
    retries: dict[tuple[str, int, int], int] = field(default_factory=dict)  # every retry: the backoff grows
    # Called before a failed message is dead-lettered: the durable Error records of its failed
    # processings (shared/audit/logboek.py); raises when they cannot be written.
    # (`technical`: the handler failed, LDV status Error; else the input was refused, Unset.)
    before_dead_letter: Callable[[bool], Awaitable[Any]] | None = None
    # What a FATAL error does: by default a graceful stop of this process that ends in a non-zero
    # exit status (`request_restart`), so the supervisor (systemd, Kubernetes) starts it afresh.
    on_fatal: Callable[[], None] = field(default=lambda: request_restart())
    # Told of each dead letter once it is on the topic (consumer, reason code): the metrics.
    on_dead_lettered: Callable[[str, str], None] = field(default=lambda consumer, reason: None)

    def bind(self, broker: Any) -> None:
        self.broker = broker

    def __call__(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _ReliabilityMiddleware(msg, context=context, policy=self)

    def backoff(self, attempt: int) -> float:
        return min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s)

    async def set_aside(self, record: Any, reason: str, detail: str) -> None:
        """A record of a batch that can never be processed (`detail`: no personal data): it is
        dead-lettered when the batch is done (committed, or retried past it), or at once outside
        a consumption. Raises what publishing raises in the latter case."""
        aside = _SET_ASIDE.get()
        if aside is None:
            await self.dead_letter(record, reason, detail)
        else:
            aside[(record.topic, record.partition, record.offset)] = (record, reason, detail)

    async def dead_letter(self, record: Any, reason: str, detail: str) -> None:
        """Put one consumed record on the dead-letter topic with its reason and origin; `detail`
        must hold no personal data. Also for batch handlers that set one record aside. Raises
        what publishing raises: the caller must then not commit past the record."""
        r = record
        value = r.value or b""
        headers = safe_headers(r.headers)
        headers.update(
            {
                "zt-dlq-reason": reason,
                "zt-dlq-detail": detail,
                "zt-dlq-topic": r.topic,
                "zt-dlq-partition": str(r.partition),
                "zt-dlq-offset": str(r.offset),
                "zt-dlq-consumer": self.consumer_name,
                "zt-dlq-failed-at": utcnow().isoformat(),
            }
        )
        if not fits_with(value, headers):
            headers["zt-dlq-original-size"] = str(len(value))
            value = stub_of(value)
        # An empty trace context and no FastStream baggage: its telemetry would otherwise add the
        # consumed message's baggage (a partner's) to the dead letter's headers. The correlation
        # id is a new one of the hub's, not whatever the partner sent.
        token = otel_context.attach(otel_context.Context())
        try:
            with self.broker.context.scope("baggage", None):
                try:
                    await self._publish_dead_letter(value, headers)
                except Exception as exc:
                    if poison_reason(exc)[0] != "oversized" or "zt-dlq-original-size" in headers:
                        raise
                    # The broker or the topic takes less than the producer: the stub always fits.
                    headers["zt-dlq-original-size"] = str(len(value))
                    await self._publish_dead_letter(stub_of(value), headers)
        finally:
            otel_context.detach(token)
        self.on_dead_lettered(self.consumer_name, reason)
        log.error(
            "consume.dead_lettered",
            consumer=self.consumer_name,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            reason=reason,
            detail=detail,
        )

    async def _publish_dead_letter(self, value: bytes, headers: dict[str, str]) -> None:
        await self.broker.publish(
            value, topic=self.dead_letter_topic, key=None, headers=headers, correlation_id=str(uuid.uuid4())
        )


class _ReliabilityMiddleware(BaseMiddleware):
    """Per record, or per batch for a batch subscriber (the raw message is then a tuple of records).

    A batch handler deals with each record's poison itself: it sets aside what it cannot use
    (`set_aside`, dead-lettered here once the batch is done with it, never once per try) and marks
    what it settled on its own after taking the batch apart (`settle`). What reaches this
    middleware from a batch is transient, or a bug: the batch is retried from each partition's
    first record not settled (the settled ones before it are committed first), and after the
    attempts every record not settled is dead-lettered, so none is skipped without a trace and
    none is handled or dead-lettered twice. A batch is timed step by step by its handler
    (shared/messaging/batch.py, `bounded`), not as a whole.
    """

    def __init__(self, msg: Any, /, *, context: Any, policy: ReliableConsumption) -> None:
        super().__init__(msg, context=context)
        self.policy = policy
        self._settled: set[tuple[str, int, int]] = set()
        self._aside: dict[tuple[str, int, int], tuple[Any, str, str]] = {}

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        # A batch handler bounds each record's step itself (shared/messaging/batch.py): a bound on
        # the whole batch would blame every record of it for the one that hangs.
        bound = asyncio.timeout(None if isinstance(self.msg, tuple) else self.policy.handler_timeout_s)
        tokens = (_SETTLED.set(self._settled), _SET_ASIDE.set(self._aside))
        try:
            async with bound:
                result = await call_next(msg)
        except Exception as exc:
            await self._on_failure(HandlerTimeoutError() if bound.expired() else exc)
            return None
        finally:
            _SETTLED.reset(tokens[0])
            _SET_ASIDE.reset(tokens[1])
        try:
            await self._dead_letter_set_aside(self._records)
        except Exception as failure:  # the batch's work is committed; its poison waits for the retry
            if kind_of(failure) is Kind.FATAL:
                await self._stop_service(failure)
                return None
            log.error("consume.dead_letter_failed", consumer=self.policy.consumer_name,
                      topic=self._records[0].topic, error_type=type(failure).__name__)
            await self._retry_later(type(failure).__name__, Kind.TRANSIENT, 0)
            return None
        await self._commit()
        return result

    async def _dead_letter_set_aside(self, records: tuple[Any, ...] | list[Any]) -> None:
        """Dead-letter the set-aside records among `records`, each once; they count as settled."""
        for r in records:
            key = (r.topic, r.partition, r.offset)
            if key in self._aside and key not in self._settled:
                record, reason, detail = self._aside[key]
                await self.policy.dead_letter(record, reason, detail)
                self._settled.add(key)

    async def after_processed(self, exc_type: Any = None, exc_val: Any = None, exc_tb: Any = None) -> bool:
        # Reached with an exception only when decoding failed before the handler was called.
        if exc_val is not None and isinstance(exc_val, Exception):
            try:
                await self._on_failure(exc_val)
            except Exception as failure:  # FastStream runs without a logger: never lose this silently
                log.error("consume.failure_unhandled", consumer=self.policy.consumer_name,
                          error_type=type(failure).__name__)
            return True
        return False

    @property
    def _records(self) -> tuple[Any, ...]:
        """The aiokafka ConsumerRecords: one, or a batch subscriber's tuple."""
        return self.msg if isinstance(self.msg, tuple) else (self.msg,)

    def _consumer(self) -> Any:
        return self.context.get_local("handler_").consumer

    @property
    def _pending(self) -> tuple[Any, ...]:
        """The records not settled on their own (all of them, unless a batch was taken apart)."""
        return tuple(r for r in self._records if (r.topic, r.partition, r.offset) not in self._settled)

    def _key(self) -> tuple[str, int, int]:
        r = (self._pending or self._records)[0]
        return (r.topic, r.partition, r.offset)

    def _first_offsets(self) -> dict[TopicPartition, int]:
        """Where each partition of the message resumes: its first record not settled."""
        first: dict[TopicPartition, int] = {}
        for r in self._pending:
            tp = TopicPartition(r.topic, r.partition)
            first[tp] = min(first.get(tp, r.offset), r.offset)
        return first

    async def _commit_settled(self) -> None:
        """Commit, per partition, the settled records before its first pending one (dead-lettering
        the set-aside records among them first): a retry, or a restart, resumes after them."""
        done_or_aside = self._settled | set(self._aside)
        resume: dict[TopicPartition, int] = {}
        for r in self._records:
            tp = TopicPartition(r.topic, r.partition)
            if (r.topic, r.partition, r.offset) not in done_or_aside:
                resume[tp] = min(resume.get(tp, r.offset), r.offset)
        try:
            await self._dead_letter_set_aside(
                [r for r in self._records if r.offset < resume.get(TopicPartition(r.topic, r.partition), r.offset + 1)]
            )
        except Exception as exc:  # they stay pending: the retry sets them aside again
            log.warning("consume.dead_letter_failed", consumer=self.policy.consumer_name,
                        topic=self._records[0].topic, error_type=type(exc).__name__)
        resume = self._first_offsets()
        done: dict[TopicPartition, int] = {}
        for r in self._records:
            tp = TopicPartition(r.topic, r.partition)
            if (r.topic, r.partition, r.offset) in self._settled and r.offset < resume.get(tp, r.offset + 1):
                done[tp] = max(done.get(tp, 0), r.offset + 1)
        if done:
            try:
                await self._consumer().commit(done)
            except Exception as exc:  # as in _commit: the inboxes turn a redelivery away
                log.warning("consume.commit_failed", consumer=self.policy.consumer_name,
                            topic=self._records[0].topic, error_type=type(exc).__name__)

    async def _commit(self) -> None:
        forget_failed()  # done with this message: its failures, if any, are recorded or retried
        if not self._records:
            return
        self.policy.attempts.pop(self._key(), None)
        self.policy.retries.pop(self._key(), None)
        last: dict[TopicPartition, int] = {}
        for r in self._records:
            tp = TopicPartition(r.topic, r.partition)
            last[tp] = max(last.get(tp, r.offset + 1), r.offset + 1)
        try:
            await self._consumer().commit(last)
        except Exception as exc:  # a rebalance took the partition: its new owner gets the message again
            # Handled, not committed: the inbox turns the redelivery away. Never a dead letter.
            log.warning("consume.commit_failed", consumer=self.policy.consumer_name, topic=self._records[0].topic,
                        partition=self._records[0].partition, offset=self._records[0].offset,
                        error_type=type(exc).__name__)

    async def _on_failure(self, exc: Exception) -> None:
        if not self._records:
            return
        kind = kind_of(exc)
        if kind is Kind.FATAL:
            await self._stop_service(exc)
            return
        if kind is Kind.PERMANENT:
            poison = poison_reason(exc)
        else:
            # Transient failures retry without limit and are not attempts: an outage of the
            # database or the broker must never make a good message a dead letter.
            attempt = self.policy.attempts.get(self._key(), 0) + (kind is Kind.BUG)
            self.policy.attempts[self._key()] = attempt
            if kind is Kind.TRANSIENT or attempt < self.policy.max_attempts:
                forget_failed()  # the retry is the processing's next try, with its own record
                await self._retry_later(type(exc).__name__, kind, attempt)
                return
            poison = ("handler-failed", type(exc).__name__)
        try:
            if self.policy.before_dead_letter is not None:
                await self.policy.before_dead_letter(kind is not Kind.PERMANENT)
            for record in self._pending:
                own = self._aside.get((record.topic, record.partition, record.offset))
                await self.policy.dead_letter(record, *(own[1:] if own else poison))
        except Exception as failure:  # the dead letter did not go out: do not move past the record
            if kind_of(failure) is Kind.FATAL:
                await self._stop_service(failure)
                return
            log.error(
                "consume.dead_letter_failed", consumer=self.policy.consumer_name, topic=self._records[0].topic,
                partition=self._records[0].partition, offset=self._records[0].offset, error_type=type(failure).__name__,
            )
            await self._retry_later(type(failure).__name__, Kind.TRANSIENT, self.policy.attempts.get(self._key(), 0))
            return
        await self._commit()

    async def _retry_later(self, error_type: str, kind: Kind, attempt: int) -> None:
        await self._commit_settled()
        r = (self._pending or self._records)[0]
        retry = self.policy.retries.get(self._key(), 0) + 1
        self.policy.retries[self._key()] = retry
        delay = self.policy.backoff(retry)
        if retry % STUCK_AFTER_RETRIES == 0:  # everyone behind this offset waits: say it loudly
            log.error("consume.stuck", consumer=self.policy.consumer_name, topic=r.topic, partition=r.partition,
                      offset=r.offset, retries=retry, error_type=error_type)
        log.warning(
            "consume.retry",
            consumer=self.policy.consumer_name,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            records=len(self._pending),
            error_type=error_type,
            transient=kind is Kind.TRANSIENT,
            attempt=attempt,
            retry_in_s=delay,
        )
        await asyncio.sleep(delay)
        self._seek_back()

    def _seek_back(self) -> None:
        """The same records are fetched again, nothing after them is committed. A partition taken
        away meanwhile (a rebalance) is its new owner's to read from its committed offset."""
        for tp, offset in self._first_offsets().items():
            try:
                self._consumer().seek(tp, offset)
            except Exception as exc:
                log.warning("consume.seek_failed", consumer=self.policy.consumer_name, topic=tp.topic,
                            partition=tp.partition, error_type=type(exc).__name__)

    async def _stop_service(self, exc: BaseException) -> None:
        """A broken producer: stop consuming (seek back, commit nothing) and ask the process to
        stop, so its supervisor starts it afresh with a new producer."""
        log.critical("service.producer_broken", consumer=self.policy.consumer_name, error_type=type(exc).__name__)
        self._seek_back()
        self.policy.on_fatal()
