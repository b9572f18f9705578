"""Which service answers which message type on a party's inbound topic.

Every service reads every inbound topic with its own consumer group; each handles its own types
and leaves the others alone. A type no service owns is rejected by intake, which answers for the
hub ("unknown message type"), so a partner is never left without an answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Command, Notice

INBOUND_OWNERS: dict[str, str] = {
    "aanmelding.submit-referral": "intake",
    "aanmelding.correct-referral": "intake",
    "intake.answer-question": "intake",
    "triage.answer-consultation": "triage",
    "meeting.respond-to-invitation": "casemeeting",
    "meeting.supply-information": "casemeeting",
    "meeting.answer-consent-request": "casemeeting",
    "meeting.report-progress": "casemeeting",
}


class MessageAcknowledged(Notice):
    """On the party's inbox: the hub took this message of yours (an answer, a response, an item, a
    progress report). Sent again, the same message gets this answer again. A referral is
    acknowledged as `intake.referral-acknowledged`; a message the hub cannot take is rejected."""

    event_type: Literal["hub.message-acknowledged"] = "hub.message-acknowledged"
    schema_version: Literal[1] = 1
    acknowledged_message_id: str = Field(max_length=36, description="your command_id")
    command_type: str = Field(max_length=80)
    status: Literal["received"] = "received"

    @classmethod
    def of(cls, producer: str, command: Command) -> MessageAcknowledged:
        return cls(
            producer=producer, correlation_id=command.conversation_id, causation_id=command.command_id,
            acknowledged_message_id=str(command.command_id), command_type=command.command_type,
        )
