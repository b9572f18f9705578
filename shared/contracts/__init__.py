"""Every message that crosses a topic, and the topic registry. Nothing else defines contracts."""

from shared.contracts.aanmelding import PersonDetails, ReferralReceived, SubmitReferral
from shared.contracts.envelope import Command, Event, Message
from shared.contracts.triage import TriageCaseOpened

__all__ = [
    "Command",
    "Event",
    "Message",
    "PersonDetails",
    "ReferralReceived",
    "SubmitReferral",
    "TriageCaseOpened",
]
