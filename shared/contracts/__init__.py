"""Every message that crosses a topic, and the topic registry. Nothing else defines contracts."""

from shared.contracts.aanmelding import ReferralPersonalData, ReferralReceived, SubmitReferral
from shared.contracts.envelope import Command, Event, Message, Notice
from shared.contracts.triage import TriageCaseOpened

__all__ = [
    "Command",
    "Event",
    "Message",
    "Notice",
    "ReferralPersonalData",
    "ReferralReceived",
    "SubmitReferral",
    "TriageCaseOpened",
]
