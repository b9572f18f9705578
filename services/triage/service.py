"""Triage use cases. Covenant art. 1.15 (Triage) and 12.2b."""

from __future__ import annotations

from shared.contracts.intake import ReferralAccepted
from shared.contracts.envelope import utcnow
from shared.contracts.topics import TRIAGE_EVENTS
from shared.contracts.triage import TriageCaseOpened
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from services.triage.config import SERVICE
from services.triage.models import TriageCase

OPEN = "open"


async def open_triage_case(uow: UnitOfWork, inbox: Inbox, outbox: Outbox, event: ReferralAccepted) -> bool:
    """Open a triage case once intake accepted the referral (art. 1.15, 12.2b); False when already handled."""
    async with uow:
        session = uow.session
        if await inbox.seen(session, event.event_id) or await session.get(TriageCase, event.case_id):
            return False
        session.add(
            TriageCase(
                case_id=event.case_id,
                referrer_party=event.referrer_party,
                municipality=event.municipality,
                age_group=event.age_group,
                urgency=event.urgency,
                indicators=event.indicators.model_dump(mode="json"),
                status=OPEN,
                opened_at=utcnow(),
            )
        )
        await outbox.stage(
            session,
            TRIAGE_EVENTS,
            TriageCaseOpened(
                case_id=event.case_id,
                producer=SERVICE,
                correlation_id=event.correlation_id,
                causation_id=event.event_id,
                referrer_party=event.referrer_party,
            ),
        )
        await inbox.record(session, event.event_id)
        await uow.commit()
        return True
