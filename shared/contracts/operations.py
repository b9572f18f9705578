"""Facts operations leave on the audit topic (zorgtafel.audit.events.v1). They concern no dossier:
the audit service skips them as it skips other notices it does not store, and they are read on
the topic itself (docs/operations.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Notice
from shared.contracts.staff import STAFF_ID

TOPIC_NAME = r"^[A-Za-z0-9._-]{1,249}$"


class DeadLetterReplayed(Notice):
    """A dead letter was put back on the topic it came from by an operator (covenant Bijlage 3:
    who did what with a message that may hold personal data is logged). The message's content
    is not here: only where it was, where it went, and why it had failed."""

    event_type: Literal["audit.dead-letter-replayed"] = "audit.dead-letter-replayed"
    schema_version: Literal[1] = 1
    operator: str = Field(pattern=STAFF_ID, max_length=64, description="the operator's pseudonymous id")
    dead_letter_topic: str = Field(pattern=TOPIC_NAME)
    dead_letter_offset: int = Field(ge=0)
    origin_topic: str = Field(pattern=TOPIC_NAME)
    origin_partition: int = Field(ge=0)
    origin_offset: int = Field(ge=0)
    replayed_offset: int = Field(ge=0, description="its offset on the origin topic now")
    consumer: str = Field(max_length=64, description="the service that had dead-lettered it")
    reason: str = Field(pattern=r"^[a-z][a-z_-]{0,39}$", description="the zt-dlq-reason code, e.g. schema-invalid")
