"""Intake use cases. Covenant art. 1.1 (Aanmelding en Intake) and 12.2a."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from shared.contracts.aanmelding import ReferralReceived, SubmitReferral
from shared.contracts.envelope import utcnow
from shared.contracts.topics import AANMELDING_EVENTS
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from services.intake.config import SERVICE
from services.intake.models import Referral


@dataclass(frozen=True)
class ReferralOutcome:
    case_id: uuid.UUID | None
    duplicate: bool


async def register_referral(
    uow: UnitOfWork,
    inbox: Inbox,
    outbox: Outbox,
    command: SubmitReferral,
    referrer_party: str,
) -> ReferralOutcome:
    """Record a party's referral and open a case for it (art. 1.1).

    The referring party comes from the topic it wrote to, never from the payload. The same
    delivery twice, or the same referrer reference twice, yields the one case already opened.
    """
    async with uow:
        session = uow.session
        existing = await session.scalar(
            select(Referral).where(
                Referral.referrer_party == referrer_party,
                Referral.referrer_reference == command.referrer_reference,
            )
        )
        if await inbox.seen(session, command.command_id):
            # A redelivery. The referral may be gone already (purged after afschaling);
            # the inbox record outlives it, so the redelivery still changes nothing.
            return ReferralOutcome(case_id=existing.case_id if existing else None, duplicate=True)
        if existing is not None:
            # The same referral sent again as a new message: acknowledge, do not open a second case.
            await inbox.record(session, command.command_id)
            await uow.commit()
            return ReferralOutcome(case_id=existing.case_id, duplicate=True)

        case_id = uuid.uuid4()
        session.add(
            Referral(
                case_id=case_id,
                referrer_party=referrer_party,
                referrer_reference=command.referrer_reference,
                urgency=command.urgency,
                person=command.person.model_dump(mode="json"),
                situation=command.situation,
                received_at=utcnow(),
            )
        )
        await outbox.stage(
            session,
            AANMELDING_EVENTS,
            ReferralReceived(
                case_id=case_id,
                producer=SERVICE,
                correlation_id=command.correlation_id or command.command_id,
                causation_id=command.command_id,
                referrer_party=referrer_party,
                urgency=command.urgency,
            ),
        )
        await inbox.record(session, command.command_id)
        await uow.commit()
        return ReferralOutcome(case_id=case_id, duplicate=False)
