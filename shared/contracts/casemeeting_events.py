"""Facts of the Casusoverleg on zorgtafel.meeting.events.v1, zorgtafel.plan-of-action.events.v1 and
zorgtafel.afschaling.events.v1 (covenant art. 8.4, 13, 1.2). They carry ids, party codes, dates
and statuses; every text stays sealed in the casemeeting service.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.contracts.casemeeting import Terms, WhyOpen
from shared.contracts.envelope import Event, Notice


class MeetingPrepared(Event):
    event_type: Literal["meeting.prepared"] = "meeting.prepared"
    schema_version: Literal[1] = 1
    designated: tuple[str, ...]
    themes: tuple[str, ...]
    decision_types: tuple[str, ...]


class MeetingScheduled(Event):
    event_type: Literal["meeting.scheduled"] = "meeting.scheduled"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    sequence: int
    scheduled_at: AwareDatetime


class PartyInvited(Event):
    event_type: Literal["meeting.party-invited"] = "meeting.party-invited"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    invitation_id: UUID
    party: str


class InvitationAnswered(Event):
    event_type: Literal["meeting.invitation-answered"] = "meeting.invitation-answered"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    party: str
    attending: bool


class InformationSupplied(Event):
    event_type: Literal["meeting.information-supplied"] = "meeting.information-supplied"
    schema_version: Literal[1] = 1
    item_id: UUID
    supplied_by: str
    terms: Terms


class PreReadConsent(Event):
    """A consent asked, given or refused; a refused item is withheld from that party."""

    event_type: Literal["meeting.pre-read-consent"] = "meeting.pre-read-consent"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    item_id: UUID
    supplier: str
    recipient: str
    status: Literal["requested", "granted", "refused", "withheld_by_terms"]


class AttendanceRecorded(Event):
    event_type: Literal["meeting.attendance-recorded"] = "meeting.attendance-recorded"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    present: tuple[str, ...]
    apologies: tuple[str, ...]
    information_supplied: tuple[UUID, ...]


class CasusregisseurAppointed(Event):
    event_type: Literal["meeting.casusregisseur-appointed"] = "meeting.casusregisseur-appointed"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    party: str


class AfschalingCriteriaSet(Event):
    event_type: Literal["meeting.afschaling-criteria-set"] = "meeting.afschaling-criteria-set"
    schema_version: Literal[1] = 1
    meeting_id: UUID


class PlanAdopted(Event):
    """On zorgtafel.plan-of-action.events.v1: who does what by when; the texts stay sealed in the hub."""

    event_type: Literal["plan.adopted"] = "plan.adopted"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    version: int
    actions: tuple[tuple[UUID, str, date], ...] = Field(description="(action id, responsible party, deadline)")


class ActionProgressed(Event):
    event_type: Literal["plan.action-progressed"] = "plan.action-progressed"
    schema_version: Literal[1] = 1
    action_id: UUID
    party: str
    status: Literal["in_progress", "done"]


class ActionOverdue(Event):
    """To the Casusregisseur (on its inbox) and the Procesregisseur (this event)."""

    event_type: Literal["plan.action-overdue"] = "plan.action-overdue"
    schema_version: Literal[1] = 1
    action_id: UUID
    responsible_party: str
    deadline: date
    casusregisseur: str | None


class ActionCarriedOver(Event):
    event_type: Literal["plan.action-carried-over"] = "plan.action-carried-over"
    schema_version: Literal[1] = 1
    action_id: UUID
    to_meeting_id: UUID
    why: WhyOpen


class AfschalingDecided(Event):
    """On zorgtafel.afschaling.events.v1: what retention must now cleanse. No personal data.

    `cleanse` names, per service, the categories of case data that are no longer necessary
    (art. 1.2); the dossier disappears in the end (`delete_after_days`, the retention policy).
    """

    event_type: Literal["afschaling.decided"] = "afschaling.decided"
    schema_version: Literal[1] = 1
    meeting_id: UUID
    decided_by: str
    cleanse: dict[str, tuple[str, ...]]
    parties_informed: tuple[str, ...]


class MeetingCommandRefused(Notice):
    event_type: Literal["meeting.command-refused"] = "meeting.command-refused"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str
    reason: Literal[
        "unknown_case",
        "unknown_meeting",
        "party_not_current",
        "party_not_designated",
        "not_a_participant",
        "unknown_item",
        "unknown_action",
        "action_done",
        "case_afgeschaald",
        "criteria_not_set",
        "no_plan",
    ]


MeetingEvent = (
    MeetingPrepared | MeetingScheduled | PartyInvited | InvitationAnswered | InformationSupplied | PreReadConsent
    | AttendanceRecorded | CasusregisseurAppointed | AfschalingCriteriaSet | MeetingCommandRefused
)
PlanEvent = PlanAdopted | ActionProgressed | ActionOverdue | ActionCarriedOver
