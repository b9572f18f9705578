"""One error taxonomy for every consumer, relay and dead letter of the hub.

Every exception the stack raises while a message is consumed, relayed or dead-lettered falls in
one of four kinds, and each kind has one treatment:

- PERMANENT: the message (or outbox row) can never succeed: undecodable, schema-invalid, sealed
  data that does not open, too large for Kafka, a Kafka error that is not retriable. Never
  retried: dead-lettered (a row: parked), and the consumer moves on.
- TRANSIENT: the world is briefly unavailable: a database connection that fails or is shut down
  (SQLSTATE classes 08, 57P01-57P03, 53), a lock or statement timeout, a deadlock or serialization
  failure, a retriable Kafka error, a socket error, a configuration file that cannot be trusted
  until an operator mends it (UnusableConfigurationError). Retried with capped backoff, without limit and
  without counting as an attempt: an outage must never turn a good message into a dead letter.
- FATAL: the Kafka producer itself is broken (its idempotence state no longer matches the
  broker's: out-of-order sequence, fenced, unknown producer id, invalid epoch). A producer that is
  merely closed (the service is stopping) is TRANSIENT: the message is tried again after restart. Nothing it sends will succeed, so
  the process must not keep consuming: the producer is rebuilt, or the service stops for its
  supervisor to restart it.
- BUG: anything else, a handler's own error. Retried a bounded number of times (a race may
  resolve), then dead-lettered with the exception's type as the reason's detail.

Exception messages are never used: they may quote personal data. Only types and codes are.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from enum import StrEnum

from aiokafka import errors as kafka_errors
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.crypto import CryptoError
from shared.persistence.database import sqlstate


class Kind(StrEnum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"
    FATAL = "fatal"
    BUG = "bug"


class PoisonMessageError(Exception):
    """A message that can never be processed. `detail` must hold no personal data."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class UnusableConfigurationError(Exception):
    """A file the service judges messages by cannot be trusted now (e.g. a staff register others
    may write): TRANSIENT. Nothing may be decided by it, and no message may be lost over it; the
    messages wait until an operator mends the file. The message says what to mend, never the
    file's content."""


class HandlerTimeoutError(Exception):
    """A handler ran longer than its bound (`ZT_HANDLER_TIMEOUT_S`): a BUG, retried a bounded
    number of times (a lock held by someone else may be gone by then), then dead-lettered."""


# SQLSTATE codes (PostgreSQL appendix A) that say "try again": connection exceptions (08xxx),
# the server shutting down or starting (57P01-57P03), too many connections / out of resources
# (53xxx), lock and statement timeouts (55P03, 57014), deadlock and serialization failures.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P0")
_TRANSIENT_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01", "25006"})  # 25006: read-only (a failover)
_FATAL_KAFKA = (
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.ProducerFenced,
    kafka_errors.UnknownProducerId,
    kafka_errors.InvalidProducerEpoch,
)
# Not marked retriable by aiokafka, but gone when the broker is back or the service restarts.
_TRANSIENT_KAFKA = (kafka_errors.KafkaConnectionError, kafka_errors.KafkaTimeoutError, kafka_errors.ProducerClosed)
_TOO_LARGE_KAFKA = (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordTooLargeError, kafka_errors.RecordListTooLargeError)


def _database_kind(exc: DBAPIError) -> Kind:
    if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
        return Kind.TRANSIENT
    code = sqlstate(exc)
    if code and (code in _TRANSIENT_SQLSTATES or code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)):
        return Kind.TRANSIENT
    return Kind.BUG


def kind_of(exc: BaseException) -> Kind:
    """The kind of `exc` (see the module's docstring); BUG when nothing more specific is known."""
    if isinstance(exc, (PoisonMessageError, ValidationError, json.JSONDecodeError, UnicodeDecodeError, CryptoError)):
        return Kind.PERMANENT
    if isinstance(exc, _FATAL_KAFKA):
        return Kind.FATAL
    if isinstance(exc, _TOO_LARGE_KAFKA):
        return Kind.PERMANENT
    if isinstance(exc, kafka_errors.KafkaError):
        return Kind.TRANSIENT if exc.retriable or isinstance(exc, _TRANSIENT_KAFKA) else Kind.PERMANENT
    if isinstance(exc, DBAPIError):
        return _database_kind(exc)
    if isinstance(exc, (PoolTimeoutError, PendingRollbackError)):  # no free connection; a session to begin again
        return Kind.TRANSIENT
    if isinstance(exc, HandlerTimeoutError):
        return Kind.BUG
    if isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError, OSError, UnusableConfigurationError)):
        return Kind.TRANSIENT
    return Kind.BUG


# A field name a message may carry and a person may read: snake_case, short. A key outside it may
# be anything a sender typed (a name, a BSN) and is never repeated.
SAFE_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def describe_validation_error(exc: ValidationError) -> str:
    """Field paths and error types only; never the input (`loc` may echo unknown keys)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = [str(p) if isinstance(p, int) or SAFE_FIELD_NAME.match(str(p)) else "?" for p in err["loc"]]
        if err["type"] == "extra_forbidden" and loc:
            loc[-1] = "<unknown-field>"
        parts.append(f"{'.'.join(loc) or '<root>'}:{err['type']}")
    return ";".join(parts)[:1000]


def poison_reason(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) of a PERMANENT error for the dead letter; no personal data in either."""
    if isinstance(exc, PoisonMessageError):
        return exc.reason, exc.detail
    if isinstance(exc, ValidationError):
        return "schema-invalid", describe_validation_error(exc)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return "undecodable", type(exc).__name__
    if isinstance(exc, CryptoError):
        return "sealed-data-unreadable", type(exc).__name__
    if isinstance(exc, _TOO_LARGE_KAFKA):
        return "oversized", type(exc).__name__
    return "kafka-refused", type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    return kind_of(exc) is Kind.TRANSIENT


# Exit status of a service stopped for a restart (EX_TEMPFAIL): "try again", to a supervisor.
RESTART_EXIT_STATUS = 75
_restart: list[bool] = []


def request_restart() -> None:
    """Stop this process gracefully (SIGTERM to itself) and have it exit with
    `RESTART_EXIT_STATUS`: a supervisor restarting only failed services (systemd's
    Restart=on-failure) must see the stop as a failure."""
    _restart.append(True)
    os.kill(os.getpid(), signal.SIGTERM)


def restart_requested() -> bool:
    return bool(_restart)
