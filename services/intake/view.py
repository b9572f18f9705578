"""Intake's read side for tools: what a tool may know of a case without opening it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.config import SERVICE
from services.intake.models import RECEIVED, Case, Question
from shared.persistence.database import read_once
from shared.settings import ServiceSettings


async def case_trace(case_id: uuid.UUID, settings: ServiceSettings) -> str | None:
    """The W3C traceparent of the case's referral (ids only), or None for an unknown case or a
    case from before traces were kept; staff commands about the case continue this trace."""

    async def read(session: AsyncSession) -> str | None:
        case = await session.get(Case, case_id)
        return case.trace_parent if case is not None else None

    return await read_once(settings.database_url_for(SERVICE), read)


async def referrals_to_judge(settings: ServiceSettings, now: datetime) -> list[dict[str, Any]]:
    """The Procesregisseur's work queue: referrals received and not yet judged (art. 12.2a), oldest
    first. Per referral: case id, referring party, municipality, urgency, age group, when it was
    received, its age in hours at `now`, and the questions to the referrer still unanswered.
    Nothing of the person: what identifies them stays sealed in the dossier."""

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        unanswered = (
            select(Question.case_id, func.count().label("n")).where(Question.answered_at.is_(None))
            .group_by(Question.case_id).subquery()
        )
        rows = await session.execute(
            select(Case, func.coalesce(unanswered.c.n, 0))
            .outerjoin(unanswered, unanswered.c.case_id == Case.case_id)
            .where(Case.status == RECEIVED).order_by(Case.opened_at)
        )
        return [
            {
                "case_id": str(case.case_id), "referrer_party": case.referrer_party, "municipality": case.municipality,
                "urgency": case.urgency, "age_group": case.age_group, "received_at": case.opened_at.isoformat(),
                "age_hours": round((now - case.opened_at).total_seconds() / 3600, 1), "open_questions": open_questions,
            }
            for case, open_questions in rows.all()
        ]

    return await read_once(settings.database_url_for(SERVICE), read)
