"""Intake contracts: the Procesregisseur's judgement of a referral (covenant art. 1.1, 12.2a).

Free text (a question, an answer, the reason for declining) may describe the person, so it
travels sealed for its reader: the hub's own key on hub topics, the party's transport key on a
party's inbox and inbound topics. The `*_aad` helpers bind each sealed text to its message.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.aanmelding import REFERENCE_PATTERN, Indicators
from shared.contracts.envelope import Command, Event, Id, Notice
from shared.contracts.rejections import RejectionReason
from shared.contracts.staff import STAFF_ID, StaffCommand
from shared.crypto import Sealed

HUB_READER = "zorgtafel-hub"  # reader code of the hub's own transport key


def question_aad(question_id: UUID) -> bytes:
    return f"zorgtafel:question:{question_id}".encode()


def answer_aad(question_id: UUID) -> bytes:
    return f"zorgtafel:answer:{question_id}".encode()


def decline_aad(case_id: UUID) -> bytes:
    return f"zorgtafel:decline:{case_id}".encode()


def outcome_aad(referrer_party: str, referrer_reference: str) -> bytes:
    return f"zorgtafel:outcome:{referrer_party}:{referrer_reference}".encode()


# --- commands of the Procesregisseur (zorgtafel.intake.commands.v1) ---


class AcceptReferral(StaffCommand):
    """The Procesregisseur judges the referral suitable for triage (art. 12.2a)."""

    command_type: Literal["intake.accept-referral"] = "intake.accept-referral"
    schema_version: Literal[1] = 1
    case_id: UUID
    decided_by: str = Field(pattern=STAFF_ID, max_length=64)


class DeclineReferral(StaffCommand):
    """The Procesregisseur declines; the reason goes back to the referrer (art. 12.2a)."""

    command_type: Literal["intake.decline-referral"] = "intake.decline-referral"
    schema_version: Literal[1] = 1
    case_id: UUID
    decided_by: str = Field(pattern=STAFF_ID, max_length=64)
    reason: Sealed = Field(description="text sealed for the hub; AAD 'zorgtafel:decline:<case_id>'")


class AskReferrer(StaffCommand):
    """The Procesregisseur asks the referring party a question before judging (art. 1.1)."""

    command_type: Literal["intake.ask-referrer"] = "intake.ask-referrer"
    schema_version: Literal[1] = 1
    case_id: UUID
    question_id: UUID
    asked_by: str = Field(pattern=STAFF_ID, max_length=64)
    question: Sealed = Field(description="text sealed for the hub; AAD 'zorgtafel:question:<question_id>'")


# --- from a party, on its inbound topic ---


class AnswerQuestion(Command):
    """The referring party answers a question of the Procesregisseur."""

    command_type: Literal["intake.answer-question"] = "intake.answer-question"
    schema_version: Literal[1] = 1
    question_id: Id
    answer: Sealed = Field(description="text sealed with the party's key; AAD 'zorgtafel:answer:<question_id>' (docs/sealing.md)")


# --- facts on zorgtafel.intake.events.v1 (no personal data) ---


class ReferralAccepted(Event):
    """Intake accepted the referral: triage starts from this (art. 1.15)."""

    event_type: Literal["intake.referral-accepted"] = "intake.referral-accepted"
    schema_version: Literal[1] = 1
    referrer_party: str
    referrer_reference: str = Field(description="the referrer's own reference, for feedback on its inbox")
    municipality: str
    age_group: Literal["18-", "18+"]
    urgency: Literal["regular", "urgent"]
    indicators: Indicators
    decided_by: str


class ReferralDeclined(Event):
    event_type: Literal["intake.referral-declined"] = "intake.referral-declined"
    schema_version: Literal[1] = 1
    referrer_party: str
    decided_by: str


class RepeatReferralLinked(Event):
    """A referral about a person with an open case was linked to that case; the Procesregisseur looks."""

    event_type: Literal["intake.repeat-referral-linked"] = "intake.repeat-referral-linked"
    schema_version: Literal[1] = 1
    referral_id: UUID
    referrer_party: str
    matched_on: Literal["bsn", "name_and_date_of_birth"]


class ReferralCorrected(Event):
    """The referrer corrected a referral's personal data (Bijlage 3); which fields, never."""

    event_type: Literal["intake.referral-corrected"] = "intake.referral-corrected"
    schema_version: Literal[1] = 1
    referral_id: UUID
    referrer_party: str


class QuestionAsked(Event):
    event_type: Literal["intake.question-asked"] = "intake.question-asked"
    schema_version: Literal[1] = 1
    question_id: UUID
    asked_by: str
    referrer_party: str


class QuestionAnswered(Event):
    event_type: Literal["intake.question-answered"] = "intake.question-answered"
    schema_version: Literal[1] = 1
    question_id: UUID
    referrer_party: str


# --- to the referring party, on its inbox topic (never a hub case id) ---


class ReferralAcknowledged(Notice):
    """The referral arrived; `duplicate` when the hub had it already under this reference;
    `corrected` when a correction of it was taken."""

    event_type: Literal["intake.referral-acknowledged"] = "intake.referral-acknowledged"
    schema_version: Literal[1] = 1
    referrer_reference: str = Field(pattern=REFERENCE_PATTERN)
    status: Literal["received", "duplicate", "corrected"]


class ReferralRejected(Notice):
    """The message could not be taken; the reasons say where and why, never what was sent."""

    event_type: Literal["intake.referral-rejected"] = "intake.referral-rejected"
    schema_version: Literal[1] = 1
    referrer_reference: str | None
    rejected_message_id: str | None
    reasons: tuple[RejectionReason, ...]


class QuestionToReferrer(Notice):
    """On the referrer's inbox: the Procesregisseur asks about a referral (art. 12.2a); answer with
    `intake.answer-question`."""

    event_type: Literal["intake.question-to-referrer"] = "intake.question-to-referrer"
    schema_version: Literal[1] = 1
    referrer_reference: str
    question_id: UUID
    question: Sealed = Field(description="sealed with the party's key; AAD 'zorgtafel:question:<question_id>'")


class ReferralOutcome(Notice):
    """The Procesregisseur's judgement, told to the referrer."""

    event_type: Literal["intake.referral-outcome"] = "intake.referral-outcome"
    schema_version: Literal[1] = 1
    referrer_reference: str
    outcome: Literal["accepted", "declined"]
    reason: Sealed | None = Field(
        default=None, description="for a decline: sealed with the party's key; AAD 'zorgtafel:outcome:<your party code>:<referrer_reference>'"
    )


# --- audit (zorgtafel.audit.events.v1) ---


class InboundRefused(Notice):
    """A message on an inbound topic whose owner may not refer (not, or no longer, a party)."""

    event_type: Literal["audit.inbound-refused"] = "audit.inbound-refused"
    schema_version: Literal[1] = 1
    claimed_party: str
    reason: Literal["not_a_party", "party_left", "party_excluded"]
    topic: str
    partition: int
    offset: int


class IntakeCommandRefused(Notice):
    """A command intake could not carry out, and why (an unknown case, a case already decided)."""

    event_type: Literal["intake.command-refused"] = "intake.command-refused"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str
    reason: Literal["unknown_case", "case_already_decided", "not_current_party", "already_a_party", "not_a_party"]


IntakeEvent = (
    ReferralAccepted | ReferralDeclined | RepeatReferralLinked | ReferralCorrected | QuestionAsked | QuestionAnswered
    | IntakeCommandRefused
)  # fmt: skip
InboxNotice = ReferralAcknowledged | ReferralRejected | QuestionToReferrer | ReferralOutcome
