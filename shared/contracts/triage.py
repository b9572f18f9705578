"""Triage contracts: consulting parties, the Bijlage 2 criteria, the routing decision, opschaling.

Covenant art. 1.15 (Triage), 12.2b-e, Bijlage 2. Free text (a question, an answer, the goal of
a Casusoverleg, a reason, a justification) travels sealed for its reader, as in intake.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.contracts.aanmelding import Indicators
from shared.contracts.decision_types import DecisionType
from shared.contracts.envelope import Command, Event, Id, Notice
from shared.contracts.register import PARTY_CODE
from shared.contracts.rejections import RejectionReason
from shared.contracts.staff import STAFF_ID, StaffCommand
from shared.crypto import Sealed

Verdict = Literal["holds", "does_not_hold", "unknown"]
Route = Literal["casusoverleg", "not_a_zorgtafel_case"]
House = Literal["brabant-zuidoost", "brabant-noordoost"]


def consultation_question_aad(consultation_id: UUID) -> bytes:
    return f"zorgtafel:consultation-question:{consultation_id}".encode()


def consultation_answer_aad(consultation_id: UUID) -> bytes:
    return f"zorgtafel:consultation-answer:{consultation_id}".encode()


def triage_text_aad(case_id: UUID, field: str) -> bytes:
    """For the Procesregisseur's texts about a case: question, goal, reason, justification."""
    return f"zorgtafel:triage:{case_id}:{field}".encode()


class TriageCaseOpened(Event):
    """Triage opened a case for an accepted referral. Carries no personal data."""

    event_type: Literal["triage.case-opened"] = "triage.case-opened"
    schema_version: Literal[1] = 1
    referrer_party: str


# --- commands of the Procesregisseur (zorgtafel.triage.commands.v1) ---


class ConsultParties(StaffCommand):
    """Ask relevant parties one question (art. 12.2b); each gets only the question, sealed for it."""

    command_type: Literal["triage.consult-parties"] = "triage.consult-parties"
    schema_version: Literal[1] = 1
    case_id: UUID
    question_id: UUID
    parties: tuple[str, ...] = Field(min_length=1, max_length=68)
    question: Sealed = Field(description="sealed for the hub; AAD 'zorgtafel:triage:<case_id>:question'")
    answer_before: AwareDatetime | None = Field(default=None, description="default: the configured deadline")
    asked_by: str = Field(pattern=STAFF_ID, max_length=64)

    @model_validator(mode="after")
    def _each_party_once(self) -> ConsultParties:
        if len(set(self.parties)) != len(self.parties):
            raise PydanticCustomError("party_repeated", "a party is asked once per question")
        return self


class MeetingBrief(BaseModel):
    """What the Procesregisseur sets for the Casusoverleg (art. 12.2c, 12.2e).

    The goal is free text about the person's case; the Procesregisseur sets it (art. 12.2c). In
    the command `triage.decide` it is sealed for the hub with the transport key (reader
    `zorgtafel-hub`). In the event `triage.decided` triage carries it sealed under its own data
    key of the case instead, the value it stores: it opens only while triage holds that key, so
    destroying the key (retention's purge) makes every copy unreadable, the one on Kafka and the
    one casemeeting keeps as received included (crypto-shredding; art. 1.2, Bijlage 3).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    goal: Sealed = Field(
        description=(
            "in triage.decide: sealed for the hub (transport key), aad = triage_text_aad(case_id, 'goal'); "
            "in triage.decided: sealed under triage's data key of the case (kid case:<case_id>), "
            "aad = case_aad(case_id, 'goal'), opens only while triage holds that key (crypto-shredding)"
        )
    )
    themes: tuple[str, ...] = Field(min_length=1, max_length=20)
    decision_types: tuple[DecisionType, ...] = Field(min_length=1)
    invite: tuple[str, ...] = Field(min_length=1, max_length=68)


class DecideTriage(StaffCommand):
    """The routing decision (Bijlage 2). Contradicting the evaluated criteria needs a justification."""

    command_type: Literal["triage.decide"] = "triage.decide"
    schema_version: Literal[1] = 1
    case_id: UUID
    route: Route
    decided_by: str = Field(pattern=STAFF_ID, max_length=64)
    meeting: MeetingBrief | None = None
    reason: Sealed | None = Field(
        default=None, description="for not_a_zorgtafel_case: told to the referrer; AAD 'zorgtafel:triage:<case_id>:reason'"
    )
    justification: Sealed | None = Field(
        default=None, description="why the decision departs from the criteria; AAD 'zorgtafel:triage:<case_id>:justification'"
    )

    @model_validator(mode="after")
    def _route_needs_its_parts(self) -> DecideTriage:
        if self.route == "casusoverleg" and self.meeting is None:
            raise PydanticCustomError("meeting_missing", "a Casusoverleg needs its goal, themes and invitations")
        if self.route == "not_a_zorgtafel_case" and self.reason is None:
            raise PydanticCustomError("reason_missing", "the referrer is told why")
        return self


class EscalateCase(StaffCommand):
    """Opschaling to a Zorg- en Veiligheidshuis, possible at any moment of a case (Bijlage 2)."""

    command_type: Literal["triage.escalate"] = "triage.escalate"
    schema_version: Literal[1] = 1
    case_id: UUID
    decided_by: str = Field(pattern=STAFF_ID, max_length=64)
    house: House | None = Field(default=None, description="default: by the municipality of residence")


# --- from a consulted party, on its inbound topic ---


class AnswerConsultation(Command):
    """A consulted party answers a triage consultation (art. 12.2b), within its deadline."""

    command_type: Literal["triage.answer-consultation"] = "triage.answer-consultation"
    schema_version: Literal[1] = 1
    consultation_id: Id
    answer: Sealed = Field(description="sealed with the party's key; AAD 'zorgtafel:consultation-answer:<consultation_id>' (docs/sealing.md)")
    assessment: Indicators = Field(description="the party's view of the Bijlage 2 criteria; null = do not know")


# --- to a party, on its inbox topic ---


class ConsultationRequest(Notice):
    """On a consulted party's inbox: the Procesregisseur asks for its view during triage (art.
    12.2b); answer with `triage.answer-consultation` before `answer_before`."""

    event_type: Literal["triage.consultation-request"] = "triage.consultation-request"
    schema_version: Literal[1] = 1
    consultation_id: UUID
    question: Sealed = Field(description="sealed with the party's key; AAD 'zorgtafel:consultation-question:<consultation_id>'")
    answer_before: AwareDatetime


class ConsultationReminder(Notice):
    """On a consulted party's inbox: its answer is still awaited, due before `answer_before`."""

    event_type: Literal["triage.consultation-reminder"] = "triage.consultation-reminder"
    schema_version: Literal[1] = 1
    consultation_id: UUID
    answer_before: AwareDatetime


class ConsultationAnswerRejected(Notice):
    """On the party's inbox: its consultation answer could not be taken (closed, unknown, malformed);
    the reasons give a field path and a code, never what was sent."""

    event_type: Literal["triage.consultation-answer-rejected"] = "triage.consultation-answer-rejected"
    schema_version: Literal[1] = 1
    consultation_id: UUID | None
    rejected_message_id: str | None
    reasons: tuple[RejectionReason, ...]


class TriageOutcome(Notice):
    """Feedback to the referring party on its referral."""

    event_type: Literal["triage.outcome"] = "triage.outcome"
    schema_version: Literal[1] = 1
    referrer_reference: str
    outcome: Literal["casusoverleg", "not_a_zorgtafel_case", "opschaling"]
    reason: Sealed | None = Field(
        default=None, description="sealed with the party's key; AAD 'zorgtafel:outcome:<your party code>:<referrer_reference>'"
    )


# --- facts on zorgtafel.triage.events.v1 (no personal data) ---


class ConsultationSent(Event):
    event_type: Literal["triage.consultation-sent"] = "triage.consultation-sent"
    schema_version: Literal[1] = 1
    question_id: UUID
    consultation_id: UUID
    party: str = Field(pattern=PARTY_CODE)
    answer_before: AwareDatetime
    remind_at: AwareDatetime


class ConsultationReminderSent(Event):
    event_type: Literal["triage.consultation-reminder-sent"] = "triage.consultation-reminder-sent"
    schema_version: Literal[1] = 1
    consultation_id: UUID
    party: str


class ConsultationAnswered(Event):
    event_type: Literal["triage.consultation-answered"] = "triage.consultation-answered"
    schema_version: Literal[1] = 1
    consultation_id: UUID
    party: str
    after_reminder: bool


class ConsultationTimedOut(Event):
    """No answer by the deadline: recorded as no answer; the case goes on."""

    event_type: Literal["triage.consultation-timed-out"] = "triage.consultation-timed-out"
    schema_version: Literal[1] = 1
    consultation_id: UUID
    party: str


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: Literal["referrer", "answer"]
    party: str
    consultation_id: UUID | None = None


class CriterionOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    supporting: tuple[Evidence, ...] = ()
    contradicting: tuple[Evidence, ...] = ()


class CriteriaEvaluated(Event):
    """Bijlage 2: (A or B) and C and D, each with the evidence it rests on."""

    event_type: Literal["triage.criteria-evaluated"] = "triage.criteria-evaluated"
    schema_version: Literal[1] = 1
    a_safety_problem: CriterionOutcome
    b_family_or_environment: CriterionOutcome
    c_several_chains: CriterionOutcome
    d_several_life_domains: CriterionOutcome
    life_domains: tuple[str, ...]
    qualifies: Verdict


class TriageDecided(Event):
    """The routing decision (Bijlage 2, art. 12.2c-e). The meeting's goal travels sealed under
    triage's data key of the case, never the transport key: destroying that key shreds this copy
    on Kafka too (art. 1.2, Bijlage 3). Reason and justification stay in triage."""

    event_type: Literal["triage.decided"] = "triage.decided"
    schema_version: Literal[1] = 1
    route: Route
    decided_by: str
    criteria: Verdict
    justified: bool = Field(description="a justification was recorded (required when contradicting the criteria)")
    meeting: MeetingBrief | None = Field(
        default=None,
        description="for a Casusoverleg; the goal sealed under triage's data key of the case, aad = case_aad(case_id, 'goal')",
    )


class CaseEscalated(Event):
    event_type: Literal["triage.case-escalated"] = "triage.case-escalated"
    schema_version: Literal[1] = 1
    house: House
    decided_by: str
    phase: str


class TriageCommandRefused(Notice):
    event_type: Literal["triage.command-refused"] = "triage.command-refused"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str
    reason: Literal[
        "unknown_case",
        "case_already_decided",
        "party_not_current",
        "party_already_asked",
        "deadline_passed",
        "justification_required",
        "no_house_for_municipality",
    ]


TriageEvent = (
    TriageCaseOpened | ConsultationSent | ConsultationReminderSent | ConsultationAnswered | ConsultationTimedOut
    | CriteriaEvaluated | TriageDecided | CaseEscalated | TriageCommandRefused
)  # fmt: skip
TriageInboxNotice = ConsultationRequest | ConsultationReminder | ConsultationAnswerRejected | TriageOutcome
