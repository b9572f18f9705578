"""Keep a service's copy of the register in step with zorgtafel.register.events.v1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaRouter
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.register import PartyAdmitted, PartyExcluded, PartyLeft
from shared.contracts.topics import REGISTER_EVENTS
from shared.messaging.routing import of_type, skip_unknown_event
from shared.register.store import RegisterStore
from shared.runtime import Runtime


def follow_register(runtime: Runtime, router: KafkaRouter, store: RegisterStore) -> None:
    """Subscribe `router` to the register's facts and apply each once, in order."""
    events = runtime.subscriber(router, "register-events", REGISTER_EVENTS.name)
    inbox = runtime.inbox("register-events")

    async def apply(fact: Any, change: Callable[[AsyncSession], Awaitable[bool]]) -> None:
        async with runtime.unit_of_work() as uow:
            if not await inbox.seen(uow.session, fact.event_id):
                await change(uow.session)
                await inbox.record(uow.session, fact.event_id)
                await uow.commit()

    @events(filter=of_type("register.party-admitted"))
    async def on_admitted(body: PartyAdmitted) -> None:
        await apply(body, lambda s: store.admit(s, body.party, body.effective_on))

    @events(filter=of_type("register.party-left"))
    async def on_left(body: PartyLeft) -> None:
        await apply(body, lambda s: store.end(s, body.code, body.effective_on, "left"))

    @events(filter=of_type("register.party-excluded"))
    async def on_excluded(body: PartyExcluded) -> None:
        await apply(body, lambda s: store.end(s, body.code, body.effective_on, "excluded"))

    events(skip_unknown_event)


def seed_hook(runtime: Runtime, store: RegisterStore) -> Callable[[], Awaitable[None]]:
    """A start-up hook that loads the covenant's signatories into an empty copy."""

    async def seed() -> None:
        async with runtime.unit_of_work() as uow:
            if await store.seed(uow.session):
                await uow.commit()

    return seed
