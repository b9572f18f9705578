"""The outbox's test helpers: events to stage, and a fake of the relay's Kafka boundary."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from shared.contracts import TriageCaseOpened
from shared.contracts.topics import TRIAGE_EVENTS
from shared.messaging.outbox import Outbox
from shared.messaging.tables import MessagingTables
from shared.persistence.database import Database
from shared.persistence.unit_of_work import UnitOfWork


def an_event() -> TriageCaseOpened:
    return TriageCaseOpened(
        case_id=uuid.uuid4(), producer="probe", correlation_id=uuid.uuid4(), referrer_party="coa-budel"
    )


async def stage_three(database: Database, tables: MessagingTables) -> list[TriageCaseOpened]:
    events = [an_event() for _ in range(3)]
    async with UnitOfWork(database.sessions) as uow:
        for event in events:
            await Outbox(tables).stage(uow.session, TRIAGE_EVENTS, event)
        await uow.commit()
    return events


async def outbox_rows(database: Database, tables: MessagingTables) -> int:
    async with database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(tables.outbox)) or 0)


class RecordingPublisher:
    """Fake of the Kafka boundary: records what would be published, can fail on one message."""

    def __init__(self, fail_on: uuid.UUID | None = None) -> None:
        self.published: list[dict[str, Any]] = []
        self.fail_on = fail_on

    async def __call__(self, payload: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        if self.fail_on is not None and str(self.fail_on).encode() in payload:
            raise ConnectionError("broker unreachable")
        self.published.append({"payload": payload, "topic": topic, "key": key, "headers": headers})
