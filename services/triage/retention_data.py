"""What triage holds of a case: per retention category for purges (art. 1.2), and its texts for an
access export (Bijlage 3)."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.models import Consultation, TriageCase
from shared.crypto.keystore import CaseKeyStore
from shared.retention.categories import Action, Category
from shared.retention.export import SealedText
from shared.retention.purge import CaseData, Step, destroy_key, in_order


async def _clear_decision_texts(session: AsyncSession, case_id: UUID, action: Action) -> int:
    """The decision's sealed texts (goal, reason, justification) live inside its JSON; the route,
    the criteria and the brief stay with the case record."""
    case = await session.get(TriageCase, case_id, with_for_update=True)
    if case is None or not (case.decision or {}).get("texts"):
        return 0
    case.decision = {**case.decision, "texts": {}}  # a new dict, so the JSON column is seen as changed
    await session.flush()
    return 1


def purge_steps(store: CaseKeyStore) -> Mapping[Category, Step]:
    case, consultation = TriageCase.__table__, Consultation.__table__
    return {
        Category.CONSULTATION_ANSWERS: CaseData(consultation, "case_id", ("question", "answer", "assessment")),
        Category.DECISION_TEXTS: _clear_decision_texts,
        Category.CASE_KEYS: destroy_key(store),
        Category.CASE_RECORD: in_order(CaseData(consultation, "case_id"), CaseData(case, "case_id")),
    }


async def export_source(session: AsyncSession, case_id: UUID) -> list[SealedText]:
    """Consultation questions and the parties' answers; the texts of triage's decision (goal,
    reason, justification)."""
    texts: list[SealedText] = []
    consultations = await session.scalars(
        select(Consultation).where(Consultation.case_id == case_id).order_by(Consultation.asked_at)
    )
    for c in consultations:
        for field, value in (("question", c.question), ("answer", c.answer)):
            if value:
                texts.append((f"consultation of {c.party}: {field}", field, value))
    case = await session.get(TriageCase, case_id)
    for field, value in ((case.decision or {}).get("texts", {}) if case else {}).items():
        texts.append((f"triage decision: {field}", field, value))
    return texts
