"""What retention keeps about cases that are gone goes after its own term, on a real PostgreSQL
(covenant Bijlage 3, art. 11.3d; decision record 0007)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.retention.models import Base, CaseFact, LedgerEntry, RightsRequest, register
from services.retention.purges import Purges
from shared.messaging.outbox import Outbox
from shared.messaging.tables import messaging_tables
from shared.persistence.database import Database
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.retention.policy import load_policy
from shared.settings import ServiceSettings
from shared.telemetry.processing import Pseudonymizer
from tests.infra import Infra
from tests.support import settings_for

pytestmark = pytest.mark.infra
NOW = datetime(2029, 6, 1, 12, tzinfo=UTC)
LONG_AGO, RECENTLY = NOW - timedelta(days=731), NOW - timedelta(days=10)


def entry(ref: str, state: str, confirmed_at: datetime | None) -> LedgerEntry:
    return LedgerEntry(
        case_ref=ref, service="intake", category="referral_personal", action="cleanse", phase="afgeschaald",
        policy_version="p", due_on=date(2027, 1, 1), state=state, confirmed_at=confirmed_at,
    )


async def test_report_facts_ledger_entries_and_rights_requests_go_after_their_terms(infra: Infra, namespace: str) -> None:
    database = Database(settings_for(ServiceSettings, infra, namespace).database_url_for("retention"))
    await database.create_schema(Base.metadata)
    try:
        async with database.sessions() as s, s.begin():
            s.add_all([
                CaseFact(case_ref="all-old", referred_at=LONG_AGO, referrer_sector="police", accepted_at=LONG_AGO),
                CaseFact(case_ref="referred-old-closed-recently", referred_at=LONG_AGO, afgeschaald_at=RECENTLY),
                CaseFact(case_ref="no-referral-seen-old", declined_at=LONG_AGO),
                entry("a", "confirmed", LONG_AGO), entry("b", "confirmed", RECENTLY), entry("c", "pending", None),
                RightsRequest(request_id=uuid.uuid4(), case_ref="a", kind="erasure", outcome="granted",
                              decided_by="pr-01", decided_at=LONG_AGO, confirmations={}),
                RightsRequest(request_id=uuid.uuid4(), case_ref="b", kind="erasure", outcome="granted",
                              decided_by="pr-01", decided_at=RECENTLY, confirmations={}),
            ])
        purges = Purges(
            lambda: UnitOfWork(database.sessions), Outbox(messaging_tables(Base.metadata)), load_policy(),
            Pseudonymizer(b"k"), RegisterStore(register), now=lambda: NOW,
        )
        gone = await purges.prune_by_age()
        async with database.sessions() as s:
            facts = sorted(f.case_ref for f in (await s.scalars(select(CaseFact))).all())
            entries = sorted(e.case_ref for e in (await s.scalars(select(LedgerEntry))).all())
            requests = [r.case_ref for r in (await s.scalars(select(RightsRequest))).all()]
    finally:
        await database.dispose()
    assert facts == ["referred-old-closed-recently"]  # its afschaling still counts in a recent year
    assert entries == ["b", "c"]  # a pending purge is never forgotten
    assert requests == ["b"]
    assert gone == 2 + 1 + 1
