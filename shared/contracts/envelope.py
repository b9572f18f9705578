"""The envelope every message on the hub carries.

Events are past-tense facts about one case (`ReferralReceived`); commands are imperative
requests (`SubmitReferral`). Both are frozen: a message, once written, is never changed.
`case_id` is an opaque UUID minted by the hub; it never encodes a BSN, a name or anything
else that maps to a person, which is why it is the only thing allowed in Kafka keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# The text forms a partner may send, exactly as the published JSON Schemas state them (with a
# `pattern` next to `format`, so a validator that does not assert formats agrees too): RFC 3339
# section 5.6 date-times and RFC 9562 UUIDs. Pydantic alone would also take "2026-11-30 10:00Z",
# "+0100" offsets, and UUIDs without hyphens or in braces, which the schemas refuse (issue 12).
RFC3339_DATE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
FULL_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _from_text(python_type: type, pattern: str, parse: Callable[[str], Any], code: str) -> Callable[[Any], Any]:
    """A value of `python_type` as it is; text in the published form, parsed here (so a strict
    parse after it sees a value of its type, never text); anything else is refused."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, python_type):
            return value
        if isinstance(value, str) and compiled.match(value):
            try:
                return parse(value)
            except ValueError:
                pass  # e.g. month 13, second 61
        raise PydanticCustomError(code, "not in the published text form")  # never the value

    return check


def _rfc3339(text: str) -> datetime:
    # fromisoformat takes "Z" but no lower-case "t"/"z", and at most 6 digits of a second.
    upper = text.upper()
    head, dot, rest = upper.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        upper = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    return datetime.fromisoformat(upper)


Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_from_text(datetime, RFC3339_DATE_TIME, _rfc3339, "datetime_parsing")),
    Field(json_schema_extra={"pattern": RFC3339_DATE_TIME}),
]
"""An aware date-time; as text, only in RFC 3339 form."""
Id = Annotated[
    UUID,
    BeforeValidator(_from_text(UUID, UUID_TEXT, UUID, "uuid_parsing")),
    Field(json_schema_extra={"pattern": UUID_TEXT}),
]
"""A UUID; as text, only in the hyphenated form of RFC 9562."""
Day = Annotated[
    date,
    BeforeValidator(_from_text(date, FULL_DATE, date.fromisoformat, "date_parsing")),
    Field(json_schema_extra={"pattern": FULL_DATE}),
]
"""A calendar day; as text, only YYYY-MM-DD (pydantic alone takes "0" as 1970-01-01)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every contract; `message_id` is the idempotency key consumers record."""

    model_config = ConfigDict(frozen=True)

    @property
    def message_id(self) -> UUID:  # pragma: no cover - overridden
        raise NotImplementedError


class Notice(Message):
    """A fact that concerns no hub case: a register change, an answer to a party, an audit record.

    Consumers ignore fields they do not know (additive change).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    schema_version: int
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: UUID
    causation_id: UUID | None = None

    @property
    def message_id(self) -> UUID:
        return self.event_id

    @property
    def key(self) -> str | None:
        """The Kafka key: none, since there is no case to keep in order."""
        return None


class Event(Notice):
    """A fact about one case, keyed by its opaque case id so a case's events stay in order."""

    case_id: UUID

    @property
    def key(self) -> str | None:
        return str(self.case_id)


def _command_type_required(schema: dict[str, Any]) -> None:
    """The hub dispatches on `command_type`: a sender must send it (its default serves our code)."""
    schema["required"] = sorted({*schema.get("required", []), "command_type"})


class Command(Message):
    """A request to do something. Unknown fields are an error: a partner's typo must not pass."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_command_type_required)

    command_id: Id
    command_type: str
    schema_version: int
    issued_at: Moment
    correlation_id: Id | None = None

    @field_validator("schema_version", mode="before")
    @classmethod
    def _a_number_not_a_boolean(cls, value: Any) -> Any:
        # Python's True == 1 lets `true` through `Literal[1]`; JSON Schema's `const: 1` refuses it.
        if isinstance(value, bool):
            raise PydanticCustomError("literal_error", "not the schema version")
        return value

    @property
    def message_id(self) -> UUID:
        return self.command_id

    @property
    def key(self) -> str | None:
        """The Kafka key when staged in an outbox: none, unless a command concerns one case."""
        return None

    @property
    def conversation_id(self) -> UUID:
        """The correlation id its consequences carry: the sender's, or else this command's own."""
        return self.correlation_id or self.command_id
