"""Delivery semantics of every hub consumer, in one broker middleware.

- At-least-once: the offset is committed only after the handler returned, i.e. after its
  database transaction committed (subscribers use `AckPolicy.MANUAL`; FastStream's Kafka
  default, ACK_FIRST, is at-most-once).
- Bad messages (undecodable, schema-invalid, unknown type) go to the dead-letter topic with the
  reason and their origin (topic/partition/offset) in headers; the consumer moves on.
- Transient failures (database or broker unreachable) retry with capped exponential backoff,
  without limit; other handler errors retry a bounded number of times, then dead-letter.
- No personal data escapes through errors: exceptions are swallowed here, before FastStream's
  logging and tracing middlewares would record their messages (a pydantic ValidationError or a
  SQLAlchemy error quotes its input). Only exception types and field paths are logged.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from faststream import BaseMiddleware
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.contracts.envelope import utcnow
from shared.contracts.topics import DEAD_LETTER
from shared.crypto import CryptoError

log = structlog.get_logger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    KafkaError,
)
_KEPT_HEADERS = frozenset({"traceparent", "tracestate", "content-type"})
_SAFE_LOC = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")

DLQ_HEADERS = (
    "zt-dlq-reason",
    "zt-dlq-detail",
    "zt-dlq-topic",
    "zt-dlq-partition",
    "zt-dlq-offset",
    "zt-dlq-consumer",
    "zt-dlq-failed-at",
)


class PoisonMessageError(Exception):
    """A message that can never be processed. `detail` must hold no personal data."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and error types only; never the input (`loc` may echo unknown keys)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = [str(p) if isinstance(p, int) or _SAFE_LOC.match(str(p)) else "?" for p in err["loc"]]
        if err["type"] == "extra_forbidden" and loc:
            loc[-1] = "<unknown-field>"
        parts.append(f"{'.'.join(loc) or '<root>'}:{err['type']}")
    return ";".join(parts)[:1000]


def classify(exc: BaseException) -> tuple[str, str] | None:
    """(reason, detail) for a message that can never succeed, or None when a retry may help."""
    if isinstance(exc, PoisonMessageError):
        return exc.reason, exc.detail
    if isinstance(exc, ValidationError):
        return "schema-invalid", describe_validation_error(exc)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return "undecodable", type(exc).__name__
    if isinstance(exc, CryptoError):
        return "sealed-data-unreadable", type(exc).__name__
    return None


@dataclass
class ReliableConsumption:
    """Broker middleware factory; `bind(broker)` once the broker exists (dead letters use it)."""

    consumer_name: str
    dead_letter_topic: str = DEAD_LETTER.name
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_attempts: int = 5
    broker: Any = None
    attempts: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def bind(self, broker: Any) -> None:
        self.broker = broker

    def __call__(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _ReliabilityMiddleware(msg, context=context, policy=self)

    def backoff(self, attempt: int) -> float:
        return min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s)

    async def dead_letter(self, record: Any, reason: str, detail: str) -> None:
        """Put one consumed record on the dead-letter topic with its reason and origin; `detail`
        must hold no personal data. Also for batch handlers that set one record aside."""
        r = record
        # Only headers the hub understands travel on: a partner may have put anything in the
        # others (and in the key, which is dropped for the same reason).
        headers = {k: v.decode(errors="replace") for k, v in (r.headers or ()) if k in _KEPT_HEADERS}
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
        await self.broker.publish(r.value or b"", topic=self.dead_letter_topic, key=None, headers=headers)
        log.error(
            "consume.dead_lettered",
            consumer=self.consumer_name,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            reason=reason,
            detail=detail,
        )


class _ReliabilityMiddleware(BaseMiddleware):
    """Per record, or per batch for a batch subscriber (the raw message is then a tuple of records).

    A batch handler deals with each record's poison itself (it dead-letters what it cannot use and
    carries on); what reaches this middleware from a batch is transient, or a bug: the whole batch
    is retried from each partition's first offset, and after the attempts every record of it is
    dead-lettered, so none is skipped without a trace.
    """

    def __init__(self, msg: Any, /, *, context: Any, policy: ReliableConsumption) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        try:
            result = await call_next(msg)
        except Exception as exc:
            await self._on_failure(exc)
            return None
        await self._commit()
        return result

    async def after_processed(self, exc_type: Any = None, exc_val: Any = None, exc_tb: Any = None) -> bool:
        # Reached with an exception only when decoding failed before the handler was called.
        if exc_val is not None and isinstance(exc_val, Exception):
            await self._on_failure(exc_val)
            return True
        return False

    @property
    def _records(self) -> tuple[Any, ...]:
        """The aiokafka ConsumerRecords: one, or a batch subscriber's tuple."""
        return self.msg if isinstance(self.msg, tuple) else (self.msg,)

    def _consumer(self) -> Any:
        return self.context.get_local("handler_").consumer

    def _key(self) -> tuple[str, int, int]:
        r = self._records[0]
        return (r.topic, r.partition, r.offset)

    def _first_offsets(self) -> dict[TopicPartition, int]:
        first: dict[TopicPartition, int] = {}
        for r in self._records:
            tp = TopicPartition(r.topic, r.partition)
            first[tp] = min(first.get(tp, r.offset), r.offset)
        return first

    async def _commit(self) -> None:
        if not self._records:
            return
        self.policy.attempts.pop(self._key(), None)
        last: dict[TopicPartition, int] = {}
        for r in self._records:
            tp = TopicPartition(r.topic, r.partition)
            last[tp] = max(last.get(tp, r.offset + 1), r.offset + 1)
        await self._consumer().commit(last)

    async def _on_failure(self, exc: Exception) -> None:
        if not self._records:
            return
        r = self._records[0]
        poison = classify(exc)
        if poison is None:
            attempt = self.policy.attempts.get(self._key(), 0) + 1
            self.policy.attempts[self._key()] = attempt
            transient = isinstance(exc, TRANSIENT_ERRORS)
            if transient or attempt < self.policy.max_attempts:
                delay = self.policy.backoff(attempt)
                log.warning(
                    "consume.retry",
                    consumer=self.policy.consumer_name,
                    topic=r.topic,
                    partition=r.partition,
                    offset=r.offset,
                    records=len(self._records),
                    error_type=type(exc).__name__,
                    transient=transient,
                    attempt=attempt,
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
                # Seek back: the same records are fetched again, nothing after them is committed.
                for tp, offset in self._first_offsets().items():
                    self._consumer().seek(tp, offset)
                return
            poison = ("handler-failed", type(exc).__name__)
        for record in self._records:
            await self.policy.dead_letter(record, *poison)
        await self._commit()
