"""Idempotent consumption: the ids of processed messages are recorded in the handler's transaction.

A redelivered message finds its id and changes nothing. Because the record commits with the
state change, there is no window in which the change exists without the record or the reverse
(the tracking-record pattern of pyeventsourcing; cosmicpython's "make handlers idempotent").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, any_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import utcnow
from shared.messaging.tables import MessagingTables

# Called with the session when a message is recorded as processed: the Logboek stages the records
# of the processings in progress there (shared/audit/logboek.py).
OnProcessed = Callable[[AsyncSession], Awaitable[Any]]


class Inbox:
    def __init__(self, tables: MessagingTables, consumer: str, on_processed: OnProcessed | None = None) -> None:
        self._table = tables.inbox
        self._consumer = consumer
        self._on_processed = on_processed

    async def seen(self, session: AsyncSession, message_id: UUID) -> bool:
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
        column = self._table.c.message_id
        if session.get_bind().dialect.name == "postgresql":
            # One array parameter: an IN list of 500 is a new statement to plan for every batch size.
            wanted = column == any_(bindparam("ids", message_ids, type_=ARRAY(Uuid)))
        else:
            wanted = column.in_(message_ids)
        rows = await session.scalars(select(column).where(self._table.c.consumer == self._consumer, wanted))
        return set(rows)

    async def record_many(self, session: AsyncSession, message_ids: list[UUID]) -> None:
        """Record a batch as processed in one statement (ids must be distinct and unseen)."""
        if message_ids:
            if self._on_processed is not None:
                await self._on_processed(session)
            now = utcnow()
            await session.execute(
                insert(self._table), [{"consumer": self._consumer, "message_id": m, "processed_at": now} for m in message_ids]
            )

    async def record(self, session: AsyncSession, message_id: UUID) -> None:
        """Record the message as processed; a concurrent duplicate fails on the primary key."""
        if self._on_processed is not None:
            await self._on_processed(session)
        await session.execute(
            insert(self._table).values(consumer=self._consumer, message_id=message_id, processed_at=utcnow())
        )
