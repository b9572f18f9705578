"""Retention's backlog as metrics: purges due and not yet issued, and purges overdue (issued but
not confirmed within the policy's hours), per service whose data they purge (covenant art. 11.3d,
Bijlage 3: data is deleted on time, and a late deletion is seen). Counts only: no case, no id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, select

from services.retention.models import ISSUED, PENDING, LedgerEntry
from shared.operations.metrics import HubMetrics
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.policy import RetentionPolicy


def purge_gauges(
    metrics: HubMetrics, unit_of_work: Callable[[], UnitOfWork], policy: RetentionPolicy, now: Callable[[], datetime]
) -> Callable[[], Awaitable[None]]:
    """Registers `zorgtafel_purges_due` and `zorgtafel_purges_overdue` (label `target`: the
    service whose data is purged) and returns the refresh a scrape runs."""
    due = metrics.gauge("zorgtafel_purges_due", "Purges due today or earlier and not yet issued", ["target"])
    overdue = metrics.gauge("zorgtafel_purges_overdue", "Purges issued and not confirmed in time", ["target"])

    async def refresh() -> None:
        ledger = LedgerEntry.__table__
        today = policy.local_day(now())
        async with unit_of_work() as uow:
            rows = (
                await uow.session.execute(
                    select(
                        ledger.c.service,
                        func.count().filter(ledger.c.state == PENDING, ledger.c.due_on <= today),
                        func.count().filter(ledger.c.state == ISSUED, ledger.c.overdue_at.is_not(None)),
                    ).group_by(ledger.c.service)
                )
            ).all()
        due.clear()
        overdue.clear()
        for target, n_due, n_overdue in rows:
            due.labels(metrics.service, target).set(n_due)
            overdue.labels(metrics.service, target).set(n_overdue)

    return refresh
