"""Which service answers which message type on a party's inbound topic.

Every service reads every inbound topic with its own consumer group; each handles its own types
and leaves the others alone. A type no service owns is rejected by intake, which answers for the
hub ("unknown message type"), so a partner is never left without an answer.
"""

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
