"""What intake holds of a case, per retention category (covenant art. 1.2, Bijlage 3)."""

from __future__ import annotations

from collections.abc import Mapping

from services.intake.models import Case, Question, Referral
from shared.crypto.keystore import CaseKeyStore
from shared.retention.categories import Category
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
