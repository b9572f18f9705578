"""Retention's clock on a real PostgreSQL: phases start, overlap and (for opschaling) stop or start
again as the case's events arrive (covenant art. 1.2, Bijlage 2 and 3; decision records 0005, 0007)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.retention.models import Base, LedgerEntry, RetentionCase, register
from services.retention.service import CaseFollower
from shared.contracts.aanmelding import ReferralReceived
from shared.contracts.casemeeting_events import AfschalingDecided
from shared.contracts.envelope import Event
from shared.contracts.triage import CaseEscalated, TriageDecided
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.messaging.tables import messaging_tables
from shared.persistence.database import Database
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.retention.categories import Category
from shared.retention.policy import load_policy
from shared.settings import ServiceSettings
from shared.telemetry.processing import Pseudonymizer
from tests.infra import Infra
from tests.support import settings_for

pytestmark = pytest.mark.infra
START = datetime(2026, 6, 1, 10, tzinfo=UTC)


class Case:
    """One case's events, each a day after the previous, fed to the follower."""

    def __init__(self, follower: CaseFollower, inbox: Inbox) -> None:
        self.follower, self.inbox = follower, inbox
        self.case_id, self.correlation_id, self.day = uuid.uuid4(), uuid.uuid4(), 0

    def common(self) -> dict[str, object]:
        self.day += 1
        return {"case_id": self.case_id, "producer": "test", "correlation_id": self.correlation_id,
                "occurred_at": START + timedelta(days=self.day)}

    async def feed(self, event: Event) -> str:
        return await self.follower.on_event(self.inbox, event)

    async def referred(self) -> str:
        return await self.feed(ReferralReceived(**self.common(), referrer_party="politie-oost-brabant", urgency="regular"))

    async def escalated(self) -> str:
        return await self.feed(CaseEscalated(**self.common(), house="brabant-zuidoost", decided_by="pr-01", phase="triage"))

    async def to_casusoverleg(self) -> str:
        return await self.feed(TriageDecided(**self.common(), route="casusoverleg", decided_by="pr-01", criteria="holds", justified=False))

    async def activity(self) -> str:
        return await self.feed(Event(**self.common(), event_type="meeting.scheduled", schema_version=1))

    async def afgeschaald(self) -> str:
        return await self.feed(AfschalingDecided(
            **self.common(), meeting_id=uuid.uuid4(), decided_by="pr-01", cleanse={}, parties_informed=(),
        ))

    async def due(self, category: Category = Category.REFERRAL_PERSONAL) -> list[tuple[str, date]]:
        """(phase, due day) of the category in intake."""
        async with self.follower.unit_of_work() as uow:
            ref = self.follower.case_ref(self.case_id)
            rows = await uow.session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.case_ref == ref, LedgerEntry.category == category.value, LedgerEntry.service == "intake"
                )
            )
            return [(e.phase, e.due_on) for e in rows]


@pytest.fixture
async def case(infra: Infra, namespace: str) -> AsyncIterator[Case]:
    settings = settings_for(ServiceSettings, infra, namespace)
    tables = messaging_tables(Base.metadata)
    database = Database(settings.database_url_for("retention"))
    await database.create_schema(Base.metadata)
    follower = CaseFollower(
        lambda: UnitOfWork(database.sessions), Outbox(tables), load_policy(),
        Pseudonymizer(b"test-pseudonym-key"), RegisterStore(register),
    )
    yield Case(follower, Inbox(tables, "retention.case-events"))
    await database.dispose()


def day(n: int) -> date:
    return (START + timedelta(days=n)).date()


async def test_opschaling_before_a_casusoverleg_starts_the_hand_over_clock(case: Case) -> None:
    await case.referred()
    assert await case.escalated() == "phase:opgeschaald"
    assert await case.due() == [("opgeschaald", day(2 + 28))]


async def test_activity_after_opschaling_starts_the_hand_over_clock_again(case: Case) -> None:
    await case.referred()
    await case.escalated()
    assert await case.activity() == "opschaling_clock_restarted"
    assert await case.due() == [("opgeschaald", day(3 + 28))]


async def test_a_casusoverleg_after_opschaling_stops_the_hand_over_clock(case: Case) -> None:
    await case.referred()
    await case.escalated()
    assert await case.to_casusoverleg() == "opschaling_clock_stopped"
    assert await case.due() == []
    async with case.follower.unit_of_work() as uow:
        assert (await uow.session.get(RetentionCase, case.case_id)).phase is None  # type: ignore[union-attr]


async def test_opschaling_during_a_running_casusoverleg_starts_no_clock(case: Case) -> None:
    await case.referred()
    await case.to_casusoverleg()
    assert await case.escalated() == "activity"
    assert await case.due() == []


async def test_afschaling_after_opschaling_brings_the_purge_forward(case: Case) -> None:
    await case.referred()
    await case.escalated()
    assert await case.afgeschaald() == "phase:afgeschaald"
    assert await case.due() == [("afgeschaald", day(3))]
    assert await case.due(Category.CASE_RECORD) == [("opgeschaald", day(2 + 90))]  # 2 + 90 < 3 + 90: kept


async def test_a_decline_arriving_before_its_referral_still_starts_the_clock(case: Case) -> None:
    from shared.contracts.intake import ReferralDeclined

    declined = ReferralDeclined(**case.common(), referrer_party="politie-oost-brabant", decided_by="pr-01")
    assert await case.feed(declined) == "phase:declined_at_intake"
    assert await case.referred() == "activity"
    assert await case.due() == [("declined_at_intake", day(1 + 28))]
