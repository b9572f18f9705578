"""What casemeeting holds of a case: per retention category for purges (art. 1.2), and its texts for
an access export (Bijlage 3). The goal is triage's text, sealed under triage's key: triage exports it."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casemeeting.models import Action, Consent, InformationItem, Invitation, Meeting, MeetingCase
from shared.crypto.keystore import CaseKeyStore
from shared.retention.categories import Action as RetentionAction
from shared.retention.categories import Category
from shared.retention.export import SealedText
from shared.retention.purge import CaseData, ClearColumns, Step, destroy_key, in_order


async def _consents(session: AsyncSession, case_id: UUID, action: RetentionAction) -> int:
    """Pre-read consents name no case themselves; they go with their items (foreign key)."""
    if action != RetentionAction.DELETE:
        return 0
    items = select(InformationItem.item_id).where(InformationItem.case_id == case_id)
    return (await session.execute(delete(Consent).where(Consent.item_id.in_(items)))).rowcount or 0


def purge_steps(store: CaseKeyStore) -> Mapping[Category, Step]:
    case, item, action = MeetingCase.__table__, InformationItem.__table__, Action.__table__
    return {
        Category.MEETING_ITEMS: in_order(_consents, CaseData(item, "case_id", ("content",))),
        Category.PLAN_TEXTS: CaseData(action, "case_id", ("description", "information_need")),
        Category.DECISION_TEXTS: ClearColumns(case, "case_id", ("goal", "afschaling_criteria")),
        Category.CASE_KEYS: destroy_key(store),
        Category.CASE_RECORD: in_order(
            _consents, CaseData(item, "case_id"), CaseData(Invitation.__table__, "case_id"),
            CaseData(action, "case_id"), CaseData(Meeting.__table__, "case_id"), CaseData(case, "case_id"),
        ),
    }


async def export_source(session: AsyncSession, case_id: UUID) -> list[SealedText]:
    """Information items supplied for the Casusoverleg, every version of the plan's texts, the
    afschaling criteria."""
    texts: list[SealedText] = []
    items = await session.scalars(
        select(InformationItem).where(InformationItem.case_id == case_id).order_by(InformationItem.supplied_at)
    )
    for item in items:
        # The supplier decides about its information (art. 16.2): `do_not_share` stays with it.
        if item.content:
            sealed = None if item.terms == "do_not_share" else item.content
            texts.append((f"information from {item.supplier}", f"item:{item.item_id}", sealed))
    actions = await session.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.version, Action.id))
    for a in actions:
        for field, value in (("description", a.description), ("information_need", a.information_need)):
            if value:
                texts.append((f"plan v{a.version}, action of {a.responsible_party}: {field}", f"action:{a.action_id}:{field}", value))
    case = await session.get(MeetingCase, case_id)
    if case is not None and case.afschaling_criteria:
        texts.append(("afschaling criteria", "afschaling_criteria", case.afschaling_criteria))
    return texts
