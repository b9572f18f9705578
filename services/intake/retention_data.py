"""What intake holds of a case: per retention category for purges (art. 1.2), and its texts for an
access export (Bijlage 3)."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Case, Question, Referral
from shared.crypto.keystore import CaseKeyStore
from shared.retention.categories import Category
from shared.retention.export import SealedText
from shared.retention.purge import CaseData, ClearColumns, Step, destroy_key, in_order


def purge_steps(store: CaseKeyStore) -> Mapping[Category, Step]:
    case, referral, question = Case.__table__, Referral.__table__, Question.__table__
    return {
        Category.REFERRAL_PERSONAL: CaseData(referral, "case_id", ("personal",)),
        Category.MATCHING_KEYS: ClearColumns(case, "case_id", ("match_bsn", "match_name")),
        Category.QUESTIONS_ANSWERS: CaseData(question, "case_id", ("question", "answer")),
        Category.DECISION_TEXTS: ClearColumns(case, "case_id", ("decline_reason",)),
        Category.CASE_KEYS: destroy_key(store),
        Category.CASE_RECORD: in_order(
            CaseData(question, "case_id"), CaseData(referral, "case_id"), CaseData(case, "case_id")
        ),
    }


async def export_source(session: AsyncSession, case_id: UUID) -> list[SealedText]:
    """The referral(s)' personal blocks, the questions and answers, the reason of a decline."""
    texts: list[SealedText] = []
    for r in await session.scalars(select(Referral).where(Referral.case_id == case_id)):
        if r.personal is not None:
            texts.append((f"referral {r.referrer_reference} ({r.referrer_party}): personal data", "personal", r.personal))
    for q in await session.scalars(select(Question).where(Question.case_id == case_id).order_by(Question.asked_at)):
        texts += [(f"question {q.question_id}: {f}", f, v) for f, v in (("question", q.question), ("answer", q.answer)) if v]
    case = await session.get(Case, case_id)
    if case is not None and case.decline_reason:
        texts.append(("reason the referral was declined", "decline_reason", case.decline_reason))
    return texts
