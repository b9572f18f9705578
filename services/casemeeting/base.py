"""What the Casusoverleg's use cases share: dependencies, the clock, staging facts and notices."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casemeeting.config import SERVICE
from services.casemeeting.models import DECLINED, Invitation, MeetingCase
from shared.audit.logboek import Logboek
from shared.calendar import covenant_day
from shared.contracts.envelope import Notice
from shared.contracts.topics import MEETING_EVENTS, Topic
from shared.crypto.hub_keys import HubKeys
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.messaging.partner_messages import PartnerMessages
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.telemetry.processing import about


class Refused(Exception):  # noqa: N818 - a refusal is an outcome, not an error
    """A command the Casusoverleg cannot carry out; `reason` is a MeetingCommandRefused reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CasemeetingBase:
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    keys: HubKeys
    register: RegisterStore
    command_inbox: Inbox
    # Records disclosures and the scheduled work on cases (overdue actions), in their transactions.
    logboek: Logboek
    # What each party sent under which command id, and how it was answered (issue 12, case 2).
    messages: PartnerMessages
    now: Callable[[], datetime] = utc_now

    def today(self) -> date:
        """The covenant's day (Europe/Amsterdam): the register's dates, action deadlines."""
        return covenant_day(self.now())

    async def fact(
        self, session: AsyncSession, case: MeetingCase, cls: Any, causation: uuid.UUID | None = None,
        topic: Topic = MEETING_EVENTS, **fields: Any,
    ) -> Any:
        event = cls(case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id, causation_id=causation, **fields)
        about(case.case_id)  # a fact about the case: the processing in progress concerns it
        await self.outbox.stage(session, topic, event)
        return event

    async def notify(self, session: AsyncSession, party: str, notice: Notice, *, case_id: uuid.UUID) -> None:
        """To a party's inbox, and only while it is a party (art. 21.3, 23.2); what it discloses of
        case `case_id` is recorded in the access log (NEN 7513, Bijlage 3) in the same transaction."""
        if await self.register.standing(session, party, self.today()) == "party":
            await self.logboek.deliver(session, party, notice, case_id=case_id)

    async def case_of(self, session: AsyncSession, case_id: uuid.UUID) -> MeetingCase:
        case = await session.get(MeetingCase, case_id)
        if case is None:
            raise Refused("unknown_case")
        about(case_id)
        if case.status != "preparing":
            raise Refused("case_afgeschaald")
        return case

    async def invited(self, session: AsyncSession, meeting_id: uuid.UUID) -> list[Invitation]:
        """Invitations not declined: who may take part and receive what concerns this meeting."""
        rows = await session.scalars(
            select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.status != DECLINED)
        )
        return list(rows)
