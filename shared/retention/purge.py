"""Each service purges its own rows of a case when retention asks (covenant art. 1.2, Bijlage 3).

Services keep separate databases, so retention decides what is due and each service deletes its
own: one `PurgeCase` command per case, carried out in one transaction — rows cleansed or deleted
per category, the case's data key destroyed, the purge recorded in `purge_record`, the inbox entry
written and `retention.purge-completed` staged with counts only. A batch of commands (as the batch
subscriber takes them, `shared/retention/wiring.py`) shares one transaction, statement by statement
for all its cases, while each case keeps its own counts, record, event and inbox entry. A
redelivered command finds its inbox entry and changes nothing; a service that was down finds the
command waiting on Kafka.

A service describes its rows as `CaseData` per category; the generic steps here know what
cleansing and deleting mean for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.logboek import Logboek
from shared.contracts.envelope import utcnow
from shared.contracts.retention import PurgeCase, PurgeCompleted
from shared.contracts.topics import RETENTION_EVENTS
from shared.crypto.keystore import CaseKeyStore
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.sets import one_of
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.categories import Action, Category
from shared.telemetry.processing import Activity

# Rows affected by one category's step. A step runs inside the purge's transaction.
Step = Callable[[AsyncSession, UUID, Action], Awaitable[int]]

# Personal categories first, then the keys, then what is left of the case (foreign keys).
_ORDER = {Category.CASE_KEYS: 1, Category.CASE_RECORD: 2}


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

    async def many(self, session: AsyncSession, case_ids: list[UUID], action: Action) -> Counter[UUID]:
        """The same for several cases in one statement; rows per case."""
        column = self.table.c[self.case_column]
        if action == Action.DELETE:
            stmt: Any = delete(self.table).where(one_of(session, column, case_ids))
        elif not self.personal:
            return Counter()
        else:
            holding = or_(*(self.table.c[c].is_not(None) for c in self.personal))
            stmt = update(self.table).where(one_of(session, column, case_ids), holding).values({c: None for c in self.personal})
        return await _counted(session, stmt, column)


async def _counted(session: AsyncSession, stmt: Any, column: Any) -> Counter[UUID]:
    """Rows a DELETE or UPDATE touched, per case. PostgreSQL counts them itself (a data-modifying
    CTE), so a mass purge does not ship every row's case id to Python; SQLite returns them."""
    if session.get_bind().dialect.name == "postgresql":
        touched = stmt.returning(column.label("case_id")).cte("touched")
        rows = await session.execute(select(touched.c.case_id, func.count()).group_by(touched.c.case_id))
        return Counter({case_id: n for case_id, n in rows.all()})
    return Counter((await session.execute(stmt.returning(column))).scalars())


@dataclass(frozen=True)
class ClearColumns:
    """Columns of the case's own row that hold a category: cleansing and deleting both clear them
    (the row itself belongs to the case record)."""

    table: Table
    case_column: str
    columns: tuple[str, ...]

    async def __call__(self, session: AsyncSession, case_id: UUID, action: Action) -> int:
        return await CaseData(self.table, self.case_column, self.columns)(session, case_id, Action.CLEANSE)

    async def many(self, session: AsyncSession, case_ids: list[UUID], action: Action) -> Counter[UUID]:
        return await CaseData(self.table, self.case_column, self.columns).many(session, case_ids, Action.CLEANSE)


async def run_many(step: Step, session: AsyncSession, case_ids: list[UUID], action: Action) -> Counter[UUID]:
    """A step for several cases: in one statement where the step can (`many`), else case by case."""
    many = getattr(step, "many", None)
    if many is not None:
        return await many(session, case_ids, action)
    return Counter({case_id: await step(session, case_id, action) for case_id in case_ids})


@dataclass(frozen=True)
class InOrder:
    """Several tables for one category, in this order (children before parents on delete)."""

    steps: tuple[Step, ...]

    async def __call__(self, session: AsyncSession, case_id: UUID, action: Action) -> int:
        return sum([await step(session, case_id, action) for step in self.steps])

    async def many(self, session: AsyncSession, case_ids: list[UUID], action: Action) -> Counter[UUID]:
        total: Counter[UUID] = Counter()
        for step in self.steps:
            total.update(await run_many(step, session, case_ids, action))
        return total


def in_order(*steps: Step) -> Step:
    return InOrder(steps)


@dataclass(frozen=True)
class DestroyKey:
    """Crypto-shredding: every copy sealed under this service's case key, on Kafka too, is lost."""

    store: CaseKeyStore

    async def __call__(self, session: AsyncSession, case_id: UUID, action: Action) -> int:
        return int(await self.store.destroy(session, case_id))

    async def many(self, session: AsyncSession, case_ids: list[UUID], action: Action) -> Counter[UUID]:
        return Counter(await self.store.destroy_many(session, case_ids))


def destroy_key(store: CaseKeyStore) -> Step:
    return DestroyKey(store)


def activity_of(command: PurgeCase) -> str:
    """Verwijdering when the case itself goes (its record, art. 1.2 "verdwijnt"), schoning when
    personal data is cleansed and the case record stays (the register's definitions)."""
    return Activity.VERWIJDERING if Category.CASE_RECORD in command.actions else Activity.SCHONING


def _by_activity(commands: list[PurgeCase]) -> dict[str, list[UUID]]:
    grouped: dict[str, list[UUID]] = {}
    for command in commands:
        grouped.setdefault(activity_of(command), []).append(command.case_id)
    return grouped


@dataclass
class CasePurger:
    """One service's purges, from `PurgeCase` to `retention.purge-completed`: one command or a
    batch of them in one transaction, each case with its own counts, record, event and inbox entry."""

    service: str
    steps: Mapping[Category, Step]
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    inbox: Inbox
    records: Table
    now: Callable[[], datetime] = field(default=utcnow)
    # Records each purge as a processing of its case's data (LDV; Bijlage 3), in its transaction.
    logboek: Logboek | None = None

    async def purge(self, command: PurgeCase) -> dict[str, int] | None:
        """Counts per category, or None when the command is not this service's or was carried out."""
        return (await self.purge_many([command])).get(command.command_id)

    async def purge_many(self, commands: list[PurgeCase]) -> dict[UUID, dict[str, int]]:
        """Carry out this service's commands not carried out before, all in one transaction;
        returns the counts per category of each, by purge id. Raises what the database raises:
        the caller retries the batch (the inbox makes that safe) or falls back to one at a time."""
        async with self.unit_of_work() as uow:
            session = uow.session
            mine = [c for c in commands if c.service == self.service]
            seen = await self.inbox.seen_many(session, [c.command_id for c in mine])
            todo = list({c.command_id: c for c in mine if c.command_id not in seen}.values())
            if not todo:
                return {}
            counts: dict[UUID, dict[str, int]] = {}
            for round_ in _one_per_case(todo):
                counts.update(await self._run_round(session, round_))
            purged_at = self.now()
            await session.execute(insert(self.records), [
                {"purge_id": c.command_id, "case_id": c.case_id, "policy_version": c.policy_version,
                 "phase": c.phase, "counts": counts[c.command_id], "purged_at": purged_at}
                for c in todo
            ])
            await self.outbox.stage_many(session, [(RETENTION_EVENTS, PurgeCompleted(
                case_id=c.case_id, producer=self.service, correlation_id=c.conversation_id,
                causation_id=c.command_id, purge_id=c.command_id, service=c.service,
                policy_version=c.policy_version, counts=counts[c.command_id], purged_at=purged_at,
            )) for c in todo])
            await self.inbox.record_many(session, [c.command_id for c in todo])
            if self.logboek is not None:  # one record per purge carried out now, none for a redelivery
                for activity, cases in _by_activity(todo).items():
                    await self.logboek.record_cases(session, "purge case", activity, cases)
            await uow.commit()
            return counts

    async def _run_round(self, session: AsyncSession, commands: list[PurgeCase]) -> dict[UUID, dict[str, int]]:
        """Each category for all these commands' cases at once (every case at most once here)."""
        by_category: dict[tuple[Category, str], list[PurgeCase]] = {}
        for c in commands:
            for category, action in c.actions.items():
                by_category.setdefault((category, action), []).append(c)
        counts: dict[UUID, dict[str, int]] = {c.command_id: {} for c in commands}
        for (category, action), group in sorted(by_category.items(), key=lambda kv: (_ORDER.get(kv[0][0], 0), kv[0][0].value)):
            step = self.steps.get(category)
            # A category this service does not hold is answered with 0: proof that it has none.
            done = await run_many(step, session, [c.case_id for c in group], Action(action)) if step else Counter()
            for c in group:
                counts[c.command_id][category.value] = done.get(c.case_id, 0)
        return counts


def _one_per_case(commands: list[PurgeCase]) -> list[list[PurgeCase]]:
    """Split a batch into rounds in which each case appears once, keeping each case's order: two
    purges of one case (say, personal data and later the record) must not share statements."""
    rounds: list[list[PurgeCase]] = []
    seen_in: dict[UUID, int] = {}
    for c in commands:
        index = seen_in.get(c.case_id, -1) + 1
        seen_in[c.case_id] = index
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(c)
    return rounds
