"""Retention's purge backlog as metrics, read from its ledger on PostgreSQL (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import generate_latest

from services.retention.backlog import purge_gauges
from services.retention.config import RetentionSettings
from services.retention.models import CONFIRMED, ISSUED, PENDING, Base, LedgerEntry
from shared.operations.metrics import HubMetrics
from shared.persistence.database import Database
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.policy import load_policy
from tests.infra import Infra
from tests.support import settings_for

pytestmark = pytest.mark.infra
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)


@pytest.fixture
async def database(infra: Infra, namespace: str) -> AsyncIterator[Database]:
    database = Database(settings_for(RetentionSettings, infra, namespace).database_url_for("retention"))
    await database.create_schema(Base.metadata)
    yield database
    await database.dispose()


def entry(n: int, service: str, state: str, due_on: date, overdue: bool = False) -> LedgerEntry:
    return LedgerEntry(
        case_ref=f"ref-{n}", service=service, category="case_record", action="delete", phase="closed",
        policy_version="v1", due_on=due_on, state=state,
        issued_at=NOW - timedelta(days=2) if state != PENDING else None,
        overdue_at=NOW - timedelta(days=1) if overdue else None,
    )


async def test_purges_due_and_overdue_are_counted_per_service_whose_data_they_purge(database: Database) -> None:
    async with UnitOfWork(database.sessions) as uow:
        uow.session.add_all([
            entry(1, "intake", PENDING, TODAY),                       # due today
            entry(2, "intake", PENDING, TODAY - timedelta(days=3)),   # due, late in being issued
            entry(3, "intake", PENDING, TODAY + timedelta(days=1)),   # not yet due
            entry(4, "triage", ISSUED, TODAY - timedelta(days=2), overdue=True),
            entry(5, "triage", ISSUED, TODAY - timedelta(days=2)),     # issued, still in time
            entry(6, "triage", CONFIRMED, TODAY - timedelta(days=9)),
        ])
        await uow.commit()
    metrics = HubMetrics("retention")
    refresh = purge_gauges(metrics, lambda: UnitOfWork(database.sessions), load_policy(None), lambda: NOW)
    await refresh()
    text = generate_latest(metrics.registry).decode()
    assert 'zorgtafel_purges_due{service="retention",target="intake"} 2.0' in text
    assert 'zorgtafel_purges_due{service="retention",target="triage"} 0.0' in text
    assert 'zorgtafel_purges_overdue{service="retention",target="triage"} 1.0' in text
    assert 'zorgtafel_purges_overdue{service="retention",target="intake"} 0.0' in text
    assert "ref-" not in text
