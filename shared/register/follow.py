"""Keep a service's copy of the register in step with zorgtafel.register.events.v1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaRouter

from shared.contracts.register import PartyAdmitted, PartyExcluded, PartyLeft
from shared.contracts.topics import REGISTER_EVENTS
from shared.messaging.batched import batch_consumer, typed
from shared.register.store import RegisterStore
from shared.runtime import Runtime

FACTS: dict[str, Any] = {
    "register.party-admitted": PartyAdmitted,
    "register.party-left": PartyLeft,
    "register.party-excluded": PartyExcluded,
}


def follow_register(runtime: Runtime, router: KafkaRouter, store: RegisterStore) -> None:
    """Subscribe `router` to the register's facts (art. 21.3, 23.2: who is a party, from which
    day) and apply each once, in order, a fetch at a time."""
    inbox = runtime.inbox("register-events")

    async def apply(fact: PartyAdmitted | PartyLeft | PartyExcluded) -> None:
        async with runtime.unit_of_work() as uow:
            if await inbox.seen(uow.session, fact.event_id):
                return
            if isinstance(fact, PartyAdmitted):
                await store.admit(uow.session, fact.party, fact.effective_on)
            else:
                await store.end(uow.session, fact.code, fact.effective_on, "left" if isinstance(fact, PartyLeft) else "excluded")
            await inbox.record(uow.session, fact.event_id)
            await uow.commit()

    batch_consumer(runtime, router, "register-events", REGISTER_EVENTS.name, parse=typed(FACTS), step=apply)


def seed_hook(runtime: Runtime, store: RegisterStore) -> Callable[[], Awaitable[None]]:
    """A start-up hook that loads the covenant's signatories into an empty copy."""

    async def seed() -> None:
        async with runtime.unit_of_work() as uow:
            if await store.seed(uow.session):
                await uow.commit()

    return seed
