"""A triage case's state for the CLI: statuses, parties, deadlines, criteria, route. No texts."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.config import SERVICE, TriageSettings
from services.triage.models import Consultation, TriageCase
from shared.persistence.database import read_once


async def triage_state(case_id: uuid.UUID, settings: TriageSettings | None = None) -> dict[str, Any] | None:
    """A triage case's state without its texts, or None for a case triage does not know. Raises
    DatabaseMissingError when triage's database is not where `settings` put it."""
    return await read_once((settings or TriageSettings()).database_url_for(SERVICE), partial(_triage_state, case_id))


async def _triage_state(case_id: uuid.UUID, s: AsyncSession) -> dict[str, Any] | None:
    case = await s.get(TriageCase, case_id)
    if case is None:
        return None
    consultations = (
        await s.scalars(select(Consultation).where(Consultation.case_id == case_id).order_by(Consultation.asked_at))
    ).all()
    decision = dict(case.decision or {})
    decision.pop("texts", None)  # sealed texts are not shown here
    return {
        "case_id": str(case.case_id),
        "status": case.status,
        "referrer_party": case.referrer_party,
        "municipality": case.municipality,
        "age_group": case.age_group,
        "urgency": case.urgency,
        "criteria": case.evaluation,
        "decision": decision or None,
        "decided_by": case.decided_by,
        "escalated_to": case.escalated_to,
        "consultations": [
            {
                "party": c.party,
                "status": c.status,
                "asked_at": c.asked_at,
                "answer_before": c.answer_before,
                "reminded_at": c.reminded_at,
                "closed_at": c.closed_at,
            }
            for c in consultations
        ],
    }
