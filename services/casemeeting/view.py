"""A case's Casusoverleg for the CLI: statuses, parties, dates, versions. No texts."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casemeeting.config import SERVICE, CasemeetingSettings
from services.casemeeting.models import Action, Consent, InformationItem, Invitation, Meeting, MeetingCase
from shared.persistence.database import read_once
from shared.settings import ServiceSettings


async def meeting_state(case_id: uuid.UUID, settings: CasemeetingSettings | None = None) -> dict[str, Any] | None:
    """A case's Casusoverleg without its texts, or None for a case it does not know. Raises
    DatabaseMissingError when its database is not where `settings` put it."""
    return await read_once((settings or CasemeetingSettings()).database_url_for(SERVICE), partial(_meeting_state, case_id))


async def _meeting_state(case_id: uuid.UUID, s: AsyncSession) -> dict[str, Any] | None:
    case = await s.get(MeetingCase, case_id)
    if case is None:
        return None
    meetings = (await s.scalars(select(Meeting).where(Meeting.case_id == case_id).order_by(Meeting.sequence))).all()
    invitations = (await s.scalars(select(Invitation).where(Invitation.case_id == case_id))).all()
    items = (await s.scalars(select(InformationItem).where(InformationItem.case_id == case_id))).all()
    consents = (await s.scalars(select(Consent).where(Consent.item_id.in_([i.item_id for i in items])))).all()
    actions = (await s.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.version))).all()
    return {
        "case_id": str(case.case_id),
        "status": case.status,
        "designated": case.designated,
        "themes": case.themes,
        "casusregisseur": case.casusregisseur,
        "afschaling_criteria_set": case.afschaling_criteria is not None,
        "meetings": [
            {
                "meeting_id": str(m.meeting_id),
                "sequence": m.sequence,
                "scheduled_at": m.scheduled_at,
                "present": m.present,
                "apologies": m.apologies,
                "invitations": {i.party: i.status for i in invitations if i.meeting_id == m.meeting_id},
            }
            for m in meetings
        ],
        "items": [{"item_id": str(i.item_id), "supplier": i.supplier, "terms": i.terms} for i in items],
        "consents": [{"item_id": str(c.item_id), "recipient": c.recipient, "status": c.status} for c in consents],
        "plan": [
            {
                "version": a.version,
                "action_id": str(a.action_id),
                "responsible_party": a.responsible_party,
                "deadline": a.deadline,
                "status": a.status,
                "carried_over": a.carried_over,
            }
            for a in actions
        ],
    }


async def case_of_meeting(meeting_id: uuid.UUID, settings: ServiceSettings | None = None) -> uuid.UUID | None:
    """The case a meeting belongs to (an opaque id), or None for an unknown meeting."""

    async def read(session: AsyncSession) -> uuid.UUID | None:
        meeting = await session.get(Meeting, meeting_id)
        return meeting.case_id if meeting is not None else None

    return await read_once((settings or CasemeetingSettings()).database_url_for(SERVICE), read)
