"""Each service purges its own rows of a case when retention asks (covenant art. 1.2, Bijlage 3).

Services keep separate databases, so retention decides what is due and each service deletes its
own: one `PurgeCase` command, carried out in one transaction — rows cleansed or deleted per
category, the case's data key destroyed, the purge recorded in `purge_record`, the inbox entry
written and `retention.purge-completed` staged with counts only. A redelivered command finds its
inbox entry and changes nothing; a service that was down finds the command waiting on Kafka.

A service describes its rows as `CaseData` per category; the generic steps here know what
cleansing and deleting mean for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, MetaData, String, Table, Uuid, delete, insert, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import utcnow
from shared.contracts.retention import PurgeCase, PurgeCompleted
from shared.contracts.topics import RETENTION_EVENTS
from shared.crypto.keystore import CaseKeyStore
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.types import UTCDateTime
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.categories import Action, Category

# Rows affected by one category's step. A step runs inside the purge's transaction.
Step = Callable[[AsyncSession, UUID, Action], Awaitable[int]]

# Personal categories first, then the keys, then what is left of the case (foreign keys).
_ORDER = {Category.CASE_KEYS: 1, Category.CASE_RECORD: 2}


def purge_records_table(metadata: MetaData) -> Table:
    """`purge_record`: one row per purge carried out here; proof without the data."""
    if "purge_record" in metadata.tables:
        return metadata.tables["purge_record"]
    return Table(
        "purge_record",
        metadata,
        Column("purge_id", Uuid, primary_key=True),
        Column("case_id", Uuid, nullable=False, index=True),
        Column("policy_version", String(64), nullable=False),
        Column("phase", String(32), nullable=False),
        Column("counts", JSON, nullable=False),
        Column("purged_at", UTCDateTime, nullable=False),
    )


@dataclass(frozen=True)
class CaseData:
    """Rows of one table that hold a category: found by `case_column`; `personal` are the columns
    cleansing clears (to NULL). `delete` removes the rows; with no `personal` columns a cleanse
    removes nothing (the category is not in these rows)."""

    table: Table
    case_column: str
    personal: tuple[str, ...] = ()

    async def __call__(self, session: AsyncSession, case_id: UUID, action: Action) -> int:
        case_filter = self.table.c[self.case_column] == case_id
        if action == Action.DELETE:
            return (await session.execute(delete(self.table).where(case_filter))).rowcount or 0
        if not self.personal:
            return 0
        # Only rows that still hold something: a repeated cleanse counts nothing.
        holding = or_(*(self.table.c[c].is_not(None) for c in self.personal))
        stmt = update(self.table).where(case_filter, holding).values({c: None for c in self.personal})
        return (await session.execute(stmt)).rowcount or 0


@dataclass(frozen=True)
class ClearColumns:
    """Columns of the case's own row that hold a category: cleansing and deleting both clear them
    (the row itself belongs to the case record)."""

    table: Table
    case_column: str
    columns: tuple[str, ...]

    async def __call__(self, session: AsyncSession, case_id: UUID, action: Action) -> int:
        return await CaseData(self.table, self.case_column, self.columns)(session, case_id, Action.CLEANSE)


def in_order(*steps: Step) -> Step:
    """Several tables for one category, in this order (children before parents on delete)."""

    async def run(session: AsyncSession, case_id: UUID, action: Action) -> int:
        total = 0
        for step in steps:
            total += await step(session, case_id, action)
        return total

    return run


def destroy_key(store: CaseKeyStore) -> Step:
    """Crypto-shredding: every copy sealed under this service's case key, on Kafka too, is lost."""

    async def run(session: AsyncSession, case_id: UUID, action: Action) -> int:
        return int(await store.destroy(session, case_id))

    return run


@dataclass
class CasePurger:
    """One service's purge of one case, from `PurgeCase` to `retention.purge-completed`."""

    service: str
    steps: Mapping[Category, Step]
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    inbox: Inbox
    records: Table
    now: Callable[[], datetime] = field(default=utcnow)

    async def purge(self, command: PurgeCase) -> dict[str, int] | None:
        """Counts per category, or None when the command is not this service's or was carried out."""
        if command.service != self.service:
            return None
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.inbox.seen(session, command.command_id):
                return None
            counts = await self.run_steps(session, command.case_id, command.actions)
            purged_at = self.now()
            await session.execute(
                insert(self.records).values(
                    purge_id=command.command_id, case_id=command.case_id, policy_version=command.policy_version,
                    phase=command.phase, counts=counts, purged_at=purged_at,
                )
            )
            completed = PurgeCompleted(
                case_id=command.case_id, producer=self.service, correlation_id=command.conversation_id,
                causation_id=command.command_id, purge_id=command.command_id, service=command.service,
                policy_version=command.policy_version, counts=counts, purged_at=purged_at,
            )
            await self.outbox.stage(session, RETENTION_EVENTS, completed)
            await self.inbox.record(session, command.command_id)
            await uow.commit()
            return counts

    async def run_steps(self, session: AsyncSession, case_id: UUID, actions: Mapping[Category, Any]) -> dict[str, int]:
        """The steps alone, in the caller's transaction (the benchmark and tests use this too)."""
        counts: dict[str, int] = {}
        for category in sorted(actions, key=lambda c: (_ORDER.get(c, 0), c.value)):
            step = self.steps.get(category)
            # A category this service does not hold is answered with 0: proof that it has none.
            counts[category.value] = await step(session, case_id, Action(actions[category])) if step else 0
        return counts
