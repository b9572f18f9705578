"""Intake's read side for tools: what a tool may know of a case without opening it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.config import SERVICE
from services.intake.models import Case
from shared.persistence.database import read_once
from shared.settings import ServiceSettings


async def case_trace(case_id: uuid.UUID, settings: ServiceSettings) -> str | None:
    """The W3C traceparent of the case's referral (ids only), or None for an unknown case or a
    case from before traces were kept; staff commands about the case continue this trace."""

    async def read(session: AsyncSession) -> str | None:
        case = await session.get(Case, case_id)
        return case.trace_parent if case is not None else None

    return await read_once(settings.database_url_for(SERVICE), read)
