"""Helpers for the retention tiers: the ledger, purge confirmations, covenant days, a declined case."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.retention.models import LedgerEntry
from shared.contracts.topics import RETENTION_EVENTS
from shared.retention.categories import Category
from shared.runtime import Runtime
from tests.infra import Infra
from tests.support import Hub, Partner, a_referral, at_least, events_on, eventually


async def completions(infra: Infra, namespace: str) -> list[dict[str, Any]]:
    return await events_on(infra, RETENTION_EVENTS, namespace, "retention.purge-completed")


async def completed_by(infra: Infra, namespace: str, service: str) -> list[dict[str, Any]]:
    return [c for c in await completions(infra, namespace) if c["service"] == service]


async def ledger(hub: Hub) -> list[LedgerEntry]:
    assert hub.retention is not None
    async with hub.retention.database.sessions() as s:
        return list((await s.scalars(select(LedgerEntry).order_by(LedgerEntry.id))).all())


async def all_confirmed(hub: Hub, service: str) -> bool:
    return {e.state for e in await ledger(hub) if e.service == service} == {"confirmed"}


async def personal_purges_confirmed(hub: Hub) -> bool:
    """Every purge of personal data is confirmed (the case record waits for its own, later term)."""
    entries = [e for e in await ledger(hub) if e.category != Category.CASE_RECORD]
    return bool(entries) and all(e.state == "confirmed" for e in entries)


def amsterdam_midnight(day: date) -> datetime:
    """The moment a covenant day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Amsterdam"))


async def declined_case(hub: Hub, partner: Partner) -> uuid.UUID:
    await partner.submit(a_referral())
    (case,) = await eventually(lambda: at_least(hub.cases, 1))
    async with hub.procesregisseur() as pr:
        await pr.send(pr.decline(case.case_id, "Geen mensenhandel."))
    return case.case_id


@contextlib.asynccontextmanager
async def started(runtime: Runtime) -> AsyncIterator[Runtime]:
    """One more service, started and stopped by the test itself."""
    async with runtime.app():
        yield runtime
