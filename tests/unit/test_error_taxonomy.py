"""Every exception the stack raises while consuming, relaying or dead-lettering has one kind, and
the kind decides its treatment (shared/messaging/errors.py)."""

from __future__ import annotations

import json

import pytest
from aiokafka import errors as kafka
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.crypto import CryptoError
from shared.messaging.errors import HandlerTimeoutError, Kind, PoisonMessageError, kind_of, poison_reason


class _Strict(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Strict.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError


class _DriverError(Exception):
    """What asyncpg or psycopg put under SQLAlchemy's DBAPIError: an error with its SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate


def _db(sqlstate: str, cls: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return cls("SELECT 1", {}, _DriverError(sqlstate))


CASES: list[tuple[str, BaseException, Kind]] = [
    ("poison", PoisonMessageError("undecodable"), Kind.PERMANENT),
    ("schema invalid", _validation_error(), Kind.PERMANENT),
    ("bad json", json.JSONDecodeError("x", "doc", 0), Kind.PERMANENT),
    ("bad utf-8", UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid"), Kind.PERMANENT),
    ("sealed data", CryptoError("no"), Kind.PERMANENT),
    ("message too large", kafka.MessageSizeTooLargeError(), Kind.PERMANENT),
    ("record too large", kafka.RecordTooLargeError(), Kind.PERMANENT),
    ("not authorised", kafka.TopicAuthorizationFailedError(), Kind.PERMANENT),
    ("broker unreachable", kafka.KafkaConnectionError(), Kind.TRANSIENT),
    ("kafka timeout", kafka.KafkaTimeoutError(), Kind.TRANSIENT),
    ("request timed out", kafka.RequestTimedOutError(), Kind.TRANSIENT),
    ("leader moved", kafka.NotLeaderForPartitionError(), Kind.TRANSIENT),
    ("no leader yet", kafka.LeaderNotAvailableError(), Kind.TRANSIENT),
    ("producer stopping", kafka.ProducerClosed(), Kind.TRANSIENT),
    ("out of order sequence", kafka.OutOfOrderSequenceNumber(), Kind.FATAL),
    ("fenced", kafka.ProducerFenced(), Kind.FATAL),
    ("unknown producer", kafka.UnknownProducerId(), Kind.FATAL),
    ("invalid epoch", kafka.InvalidProducerEpoch(), Kind.FATAL),
    ("db operational", OperationalError("SELECT 1", {}, Exception("x")), Kind.TRANSIENT),
    ("db interface", InterfaceError("SELECT 1", {}, Exception("x")), Kind.TRANSIENT),
    ("db admin shutdown 57P01", _db("57P01"), Kind.TRANSIENT),
    ("db crash shutdown 57P02", _db("57P02"), Kind.TRANSIENT),
    ("db cannot connect now 57P03", _db("57P03"), Kind.TRANSIENT),
    ("db connection failure 08006", _db("08006"), Kind.TRANSIENT),
    ("db too many connections 53300", _db("53300"), Kind.TRANSIENT),
    ("db lock timeout 55P03", _db("55P03"), Kind.TRANSIENT),
    ("db statement timeout 57014", _db("57014"), Kind.TRANSIENT),
    ("db deadlock 40P01", _db("40P01"), Kind.TRANSIENT),
    ("db serialization 40001", _db("40001"), Kind.TRANSIENT),
    ("db unique violation 23505", _db("23505", IntegrityError), Kind.BUG),
    ("db bad data 22P02", _db("22P02", DataError), Kind.BUG),
    ("db read-only after a failover 25006", _db("25006"), Kind.TRANSIENT),
    ("db pool exhausted", PoolTimeoutError(), Kind.TRANSIENT),
    ("db session to begin again", PendingRollbackError(), Kind.TRANSIENT),
    ("socket refused", ConnectionRefusedError(), Kind.TRANSIENT),
    ("timeout", TimeoutError(), Kind.TRANSIENT),
    ("asyncio timeout", TimeoutError(), Kind.TRANSIENT),
    ("handler over its bound", HandlerTimeoutError(), Kind.BUG),
    ("handler bug", KeyError("x"), Kind.BUG),
    ("handler value error", ValueError("x"), Kind.BUG),
]


@pytest.mark.parametrize(("exc", "kind"), [(e, k) for _, e, k in CASES], ids=[c[0] for c in CASES])
def test_each_exception_has_its_kind(exc: BaseException, kind: Kind) -> None:
    assert kind_of(exc) is kind


def test_a_permanent_errors_reason_names_no_input() -> None:
    assert poison_reason(_validation_error()) == ("schema-invalid", "n:int_parsing")
    assert poison_reason(kafka.MessageSizeTooLargeError()) == ("oversized", "MessageSizeTooLargeError")
