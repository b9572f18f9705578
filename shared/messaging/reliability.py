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


class _ReliabilityMiddleware(BaseMiddleware):
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
    def _record(self) -> Any:
        return self.msg  # the aiokafka ConsumerRecord

    def _consumer(self) -> Any:
        return self.context.get_local("handler_").consumer

    def _key(self) -> tuple[str, int, int]:
        r = self._record
        return (r.topic, r.partition, r.offset)

    async def _commit(self) -> None:
        r = self._record
        self.policy.attempts.pop(self._key(), None)
        await self._consumer().commit({TopicPartition(r.topic, r.partition): r.offset + 1})

    async def _on_failure(self, exc: Exception) -> None:
        r = self._record
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
                    error_type=type(exc).__name__,
                    transient=transient,
                    attempt=attempt,
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
                # Seek back: the same record is fetched again, nothing after it is committed.
                self._consumer().seek(TopicPartition(r.topic, r.partition), r.offset)
                return
            poison = ("handler-failed", type(exc).__name__)
        await self._dead_letter(*poison)
        await self._commit()

    async def _dead_letter(self, reason: str, detail: str) -> None:
        r = self._record
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
                "zt-dlq-consumer": self.policy.consumer_name,
                "zt-dlq-failed-at": utcnow().isoformat(),
            }
        )
        await self.policy.broker.publish(r.value or b"", topic=self.policy.dead_letter_topic, key=None, headers=headers)
        log.error(
            "consume.dead_lettered",
            consumer=self.policy.consumer_name,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            reason=reason,
            detail=detail,
        )
