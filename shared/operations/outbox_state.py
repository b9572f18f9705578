"""How far a service's outbox is behind: rows waiting, the oldest one's age, rows parked."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class OutboxState:
    """`waiting`: rows not yet published; `oldest_age_s`: seconds since the oldest of them was
    staged (None when none waits); `parked`: rows Kafka refused for good (shared/messaging/outbox.py)."""

    waiting: int
    oldest_age_s: float | None
    parked: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_outbox_state(session: AsyncSession, outbox: Table, now: datetime) -> OutboxState:
    """One query over the outbox table (its rows are few: the relay empties it)."""
    waiting = outbox.c.parked_at.is_(None)
    row = (
        await session.execute(
            select(
                func.count().filter(waiting),
                func.min(outbox.c.created_at).filter(waiting),
                func.count().filter(~waiting),
            )
        )
    ).one()
    count, oldest, parked = row
    age = None if oldest is None else max(0.0, (now - _aware(oldest, now)).total_seconds())
    return OutboxState(waiting=int(count or 0), oldest_age_s=age, parked=int(parked or 0))


def _aware(moment: datetime, now: datetime) -> datetime:
    # SQLite hands back naive datetimes from an aggregate: the column's values are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)
