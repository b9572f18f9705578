"""Operational rows by age (covenant Bijlage 3: what is no longer needed is destroyed).

A service's inbox holds the ids of the messages it processed, `purge_record` its proof of each
purge, and its outbox the rows parked as unpublishable. All are kept for the policy's `operational` term (longer than Kafka keeps any copy that
could be redelivered, so a redelivery is still recognised) and then deleted; retention's ledger
keeps the proof of each purge beyond that, under a pseudonymous reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import MetaData, delete

from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.categories import Category
from shared.retention.policy import RetentionPolicy

# Table -> the column that says how old a row is. An outbox row has an age only once parked (it
# could never be published, and its payload may be sealed with a transport key that cannot be
# shredded per case): operations have the operational term to look at it, then it goes.
AGED = {"inbox": "processed_at", "partner_message": "received_at", "purge_record": "purged_at", "outbox": "parked_at"}


async def prune_operational(
    unit_of_work: Callable[[], UnitOfWork], metadata: MetaData, policy: RetentionPolicy, now: datetime
) -> int:
    """Delete operational rows older than the term; returns how many. Tables a service lacks are skipped."""
    cutoff = now - timedelta(days=policy.by_age[Category.OPERATIONAL].term_days)
    deleted = 0
    async with unit_of_work() as uow:
        for name, column in AGED.items():
            table = metadata.tables.get(name)
            if table is not None:
                deleted += (await uow.session.execute(delete(table).where(table.c[column] < cutoff))).rowcount or 0
        await uow.commit()
    return deleted
