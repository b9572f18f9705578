"""The gate on every inbound topic: only a current party may write to the hub.

From the day a party leaves (art. 21.3) or is excluded (art. 23.2) it may not refer or take
part; an attempt is not answered (it may not receive data) but audited.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.intake import InboundRefused
from shared.contracts.topics import AUDIT_EVENTS
from shared.messaging.outbox import Outbox
from shared.register.store import RegisterStore
from shared.telemetry.processing import not_carried_out


def message_id_of(body: dict[str, Any]) -> uuid.UUID | None:
    """The command id a party's message claims, when it is a UUID (the idempotency key)."""
    try:
        return uuid.UUID(str(body.get("command_id")))
    except ValueError:
        return None


async def admitted(
    session: AsyncSession,
    register: RegisterStore,
    outbox: Outbox,
    *,
    producer: str,
    party: str,
    on: date,
    message_id: uuid.UUID | None,
    origin: tuple[str, int, int],
) -> bool:
    """True when `party` may write to the hub on `on`; otherwise the attempt is audited."""
    standing = await register.standing(session, party, on)
    if standing == "party":
        return True
    topic, partition, offset = origin
    await outbox.stage(session, AUDIT_EVENTS, InboundRefused(
        producer=producer, correlation_id=message_id or uuid.uuid4(), claimed_party=party, reason=standing,
        topic=topic, partition=partition, offset=offset,
    ))
    not_carried_out()  # LDV: a refused request is Unset, not Ok
    return False
