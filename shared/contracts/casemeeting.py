"""Casusoverleg contracts: commands, parties' messages and inbox notices for preparation, lawful
invitations, consented pre-reads, the meeting's decisions, the plan van aanpak and afschaling.
The facts are in `casemeeting_events`.

Covenant art. 8, 9, 12.2c-h, 13, 16.2, 9.2, 1.2. Free text travels sealed for its reader; hub
facts carry only ids, party codes, dates and statuses.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.envelope import Command, Id, Notice
from shared.contracts.rejections import RejectionReason
from shared.contracts.staff import STAFF_ID, StaffCommand
from shared.crypto import Sealed

Terms = Literal["share_with_consent", "do_not_share"]
WhyOpen = Literal["not_possible_changed_circumstances", "not_undertaken"]


def meeting_text_aad(case_id: UUID, field: str) -> bytes:
    """The Procesregisseur's or meeting's texts about a case (action descriptions, criteria)."""
    return f"zorgtafel:meeting:{case_id}:{field}".encode()


def item_aad(item_id: UUID) -> bytes:
    return f"zorgtafel:information-item:{item_id}".encode()


def action_aad(action_id: UUID, field: str) -> bytes:
    return f"zorgtafel:action:{action_id}:{field}".encode()


# --- commands (zorgtafel.meeting.commands.v1) ---


class ScheduleMeeting(StaffCommand):
    """The Procesregisseur organises a Casusoverleg (art. 12.2e): the first, or a follow-up."""

    command_type: Literal["meeting.schedule"] = "meeting.schedule"
    schema_version: Literal[1] = 1
    case_id: UUID
    meeting_id: UUID
    scheduled_at: AwareDatetime
    by: str = Field(pattern=STAFF_ID, max_length=64)


class InviteParties(StaffCommand):
    """Only parties that are current and were designated for this case (art. 12.2e)."""

    command_type: Literal["meeting.invite"] = "meeting.invite"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    parties: tuple[str, ...] = Field(min_length=1, max_length=68)
    by: str = Field(pattern=STAFF_ID, max_length=64)


class ShareBeforehand(StaffCommand):
    """The Procesregisseur proposes items as pre-reads (art. 12.2f); each supplier is asked."""

    command_type: Literal["meeting.share-beforehand"] = "meeting.share-beforehand"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    item_ids: tuple[UUID, ...] = Field(min_length=1)
    by: str = Field(pattern=STAFF_ID, max_length=64)


class RecordAttendance(StaffCommand):
    """Who attended, who sent apologies, which information was supplied (art. 8.4)."""

    command_type: Literal["meeting.record-attendance"] = "meeting.record-attendance"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    present: tuple[str, ...] = Field(min_length=1)
    apologies: tuple[str, ...] = ()
    information_supplied: tuple[UUID, ...] = ()
    by: str = Field(pattern=STAFF_ID, max_length=64)


class AppointCasusregisseur(StaffCommand):
    """Art. 8.4a, 13.1: from one of the participating parties."""

    command_type: Literal["meeting.appoint-casusregisseur"] = "meeting.appoint-casusregisseur"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    party: str
    by: str = Field(pattern=STAFF_ID, max_length=64)


class PlannedAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: UUID
    responsible_party: str
    deadline: date
    description: Sealed = Field(
        description="in AdoptPlan sealed for the hub, in YourActions with the recipient's key; AAD 'zorgtafel:action:<action_id>:description'"
    )
    information_need: Sealed = Field(description="what this party needs to know (art. 8.4c); AAD 'zorgtafel:action:<action_id>:information_need'")


class AdoptPlan(StaffCommand):
    """The integral plan van aanpak (art. 8.4b, c); a new version revises it, the old one stays."""

    command_type: Literal["meeting.adopt-plan"] = "meeting.adopt-plan"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    actions: tuple[PlannedAction, ...] = Field(min_length=1)
    by: str = Field(pattern=STAFF_ID, max_length=64)


class SetAfschalingCriteria(StaffCommand):
    command_type: Literal["meeting.set-afschaling-criteria"] = "meeting.set-afschaling-criteria"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    criteria: Sealed = Field(description="sealed for the hub; AAD 'zorgtafel:meeting:<case_id>:afschaling_criteria'")
    by: str = Field(pattern=STAFF_ID, max_length=64)


class CarryOver(StaffCommand):
    """A follow-up meeting carries over open actions, each with why it was not done (art. 13)."""

    command_type: Literal["meeting.carry-over"] = "meeting.carry-over"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    actions: tuple[tuple[UUID, WhyOpen], ...] = Field(min_length=1)
    by: str = Field(pattern=STAFF_ID, max_length=64)


class DecideAfschaling(StaffCommand):
    """The meeting finds the afschaling criteria met (art. 8.4d, 1.2)."""

    command_type: Literal["meeting.decide-afschaling"] = "meeting.decide-afschaling"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    by: str = Field(pattern=STAFF_ID, max_length=64)


# --- from a party, on its inbound topic ---


class RespondToInvitation(Command):
    """An invited party says whether it will attend the Casusoverleg (art. 9.1)."""

    command_type: Literal["meeting.respond-to-invitation"] = "meeting.respond-to-invitation"
    schema_version: Literal[1] = 1
    invitation_id: Id
    attending: bool


class SupplyInformation(Command):
    """An invited party supplies an item for the case, deciding how it may be used (art. 16.2)."""

    command_type: Literal["meeting.supply-information"] = "meeting.supply-information"
    schema_version: Literal[1] = 1
    invitation_id: Id
    item_id: Id
    content: Sealed = Field(description="sealed with the party's key; AAD 'zorgtafel:information-item:<item_id>' (docs/sealing.md)")
    terms: Terms


class AnswerConsentRequest(Command):
    """The supplier agrees, or not, to share its item with one party for one meeting (art. 12.2f, 9.2)."""

    command_type: Literal["meeting.answer-consent-request"] = "meeting.answer-consent-request"
    schema_version: Literal[1] = 1
    consent_id: Id
    granted: bool


class ReportProgress(Command):
    """A party reports on its own action (art. 13.2, 13.3)."""

    command_type: Literal["meeting.report-progress"] = "meeting.report-progress"
    schema_version: Literal[1] = 1
    action_id: Id
    status: Literal["in_progress", "done"]
    note: Sealed | None = Field(default=None, description="sealed with the party's key; AAD 'zorgtafel:action:<action_id>:progress' (docs/sealing.md)")


# --- to a party, on its inbox topic ---


class InvitationToMeeting(Notice):
    """On the party's inbox: it is invited to a Casusoverleg about a case (art. 9.1); answer with
    `meeting.respond-to-invitation`, supply items with `meeting.supply-information`."""

    event_type: Literal["meeting.invitation"] = "meeting.invitation"
    schema_version: Literal[1] = 1
    invitation_id: UUID
    meeting_id: UUID
    scheduled_at: AwareDatetime
    themes: tuple[str, ...]


class ConsentRequest(Notice):
    """On the supplier's inbox: may its item be shared with `recipient` for this meeting (art. 16.2)?
    Answer with `meeting.answer-consent-request`."""

    event_type: Literal["meeting.consent-request"] = "meeting.consent-request"
    schema_version: Literal[1] = 1
    consent_id: UUID
    item_id: UUID
    recipient: str
    meeting_id: UUID


class PreRead(Notice):
    """An item its supplier agreed to share with this party for this meeting."""

    event_type: Literal["meeting.pre-read"] = "meeting.pre-read"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    item_id: UUID
    supplied_by: str
    content: Sealed = Field(description="sealed with the recipient's key; AAD 'zorgtafel:information-item:<item_id>' (docs/sealing.md)")


class YourActions(Notice):
    """Only this party's own actions and the information its role needs (art. 8.4c)."""

    event_type: Literal["meeting.your-actions"] = "meeting.your-actions"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    plan_version: int
    actions: tuple[PlannedAction, ...] = Field(description="texts sealed with the recipient's key")


class ActionOverdueNotice(Notice):
    """On the responsible party's inbox: its action passed its deadline without being reported done
    (art. 13.3)."""

    event_type: Literal["meeting.action-overdue"] = "meeting.action-overdue"
    schema_version: Literal[1] = 1
    action_id: UUID
    responsible_party: str
    deadline: date


class MeetingMessageRejected(Notice):
    """On the party's inbox: a Casusoverleg message of yours could not be taken; the reasons give a
    field path and a code, never what was sent."""

    event_type: Literal["meeting.message-rejected"] = "meeting.message-rejected"
    schema_version: Literal[1] = 1
    rejected_message_id: str | None
    reasons: tuple[RejectionReason, ...]


MeetingInboxNotice = (
    InvitationToMeeting | ConsentRequest | PreRead | YourActions | ActionOverdueNotice | MeetingMessageRejected
)
