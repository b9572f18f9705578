"""Idempotent consumption: the ids of processed messages are recorded in the handler's transaction.

A redelivered message finds its id and changes nothing. Because the record commits with the
state change, there is no window in which the change exists without the record or the reverse
(the tracking-record pattern of pyeventsourcing; cosmicpython's "make handlers idempotent").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import utcnow
from shared.messaging.tables import MessagingTables
from shared.persistence.deferred import held, held_by, insert_or_hold, transaction_memo
from shared.persistence.sets import insert_many

# Called with the session when a message is recorded as processed: the Logboek stages the records
# of the processings in progress there (shared/audit/logboek.py).
OnProcessed = Callable[[AsyncSession], Awaitable[Any]]


class Inbox:
    def __init__(self, tables: MessagingTables, consumer: str, on_processed: OnProcessed | None = None) -> None:
        self._table = tables.inbox
        self._consumer = consumer
        self._on_processed = on_processed

    async def seen(self, session: AsyncSession, message_id: UUID) -> bool:
        if any(r["consumer"] == self._consumer for r in held_by(session, self._table, "message_id", message_id)):
            return True  # recorded earlier in this transaction (a batch)
        asked = transaction_memo(session, f"inbox:{self._consumer}")
        if message_id in asked:
            return asked[message_id]  # type: ignore[no-any-return]
        row = await session.scalar(
            select(self._table.c.message_id).where(
                self._table.c.consumer == self._consumer, self._table.c.message_id == message_id
            )
        )
        return row is not None

    async def seen_many(self, session: AsyncSession, message_ids: list[UUID]) -> set[UUID]:
        """Which of these messages were processed already: one query for a batch."""
        if not message_ids:
            return set()
        column, mine = self._table.c.message_id, self._table.c.consumer == self._consumer
        if session.get_bind().dialect.name == "postgresql":
            # One array parameter (an IN list of 500 is a new statement to plan for every batch
            # size), joined as a relation: `= ANY($1)` on a parameter is a linear search per inbox
            # row whenever the planner filters instead of probing the key, which grows with the inbox.
            ids = func.unnest(bindparam("ids", message_ids, type_=ARRAY(Uuid))).table_valued("id").render_derived()
            stmt = select(column).select_from(self._table.join(ids, column == ids.c.id)).where(mine)
        else:
            stmt = select(column).where(mine, column.in_(message_ids))
        wanted = set(message_ids)
        earlier = {r["message_id"] for r in held(session, self._table) if r["consumer"] == self._consumer} & wanted
        return set(await session.scalars(stmt)) | earlier

    async def prefetch(self, session: AsyncSession, message_ids: list[UUID]) -> None:
        """Ask once for a batch which of its messages were processed before; `seen` then answers
        for them without a query, in this transaction."""
        found = await self.seen_many(session, message_ids)
        transaction_memo(session, f"inbox:{self._consumer}").update({m: m in found for m in message_ids})

    async def record_many(self, session: AsyncSession, message_ids: list[UUID]) -> None:
        """Record a batch as processed in one statement (ids must be distinct and unseen)."""
        if message_ids:
            if self._on_processed is not None:
                await self._on_processed(session)
            await insert_many(session, self._table, [{"message_id": m} for m in message_ids],
                              consumer=self._consumer, processed_at=utcnow())

    async def record(self, session: AsyncSession, message_id: UUID) -> None:
        """Record the message as processed; a concurrent duplicate fails on the primary key."""
        if self._on_processed is not None:
            await self._on_processed(session)
        # Held: written with the batch's others at commit.
        await insert_or_hold(session, self._table, {"consumer": self._consumer, "message_id": message_id, "processed_at": utcnow()})
