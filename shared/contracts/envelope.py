"""The envelope every message on the hub carries.

Events are past-tense facts about one case (`ReferralReceived`); commands are imperative
requests (`SubmitReferral`). Both are frozen: a message, once written, is never changed.
`case_id` is an opaque UUID minted by the hub; it never encodes a BSN, a name or anything
else that maps to a person, which is why it is the only thing allowed in Kafka keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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


class Command(Message):
    """A request to do something. Unknown fields are an error: a partner's typo must not pass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID
    command_type: str
    schema_version: int
    issued_at: AwareDatetime
    correlation_id: UUID | None = None

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
