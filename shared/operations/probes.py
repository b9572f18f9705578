"""A running service's readiness and metrics, read from its own parts (database, broker,
consumers, outbox). Built by shared/runtime.py; served by shared/operations/http.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import Table, text

from shared.contracts.envelope import utcnow
from shared.operations.assignment import Assignments
from shared.operations.metrics import HubMetrics
from shared.operations.outbox_state import OutboxState, read_outbox_state
from shared.operations.readiness import OK, Readiness, answered, judge_outbox
from shared.persistence.database import Database

CHECK_TIMEOUT_S = 2.0


@dataclass
class ServiceProbes:
    """`started` is set by the runtime once consuming began and cleared when it stops, so a
    service that is shutting down is taken out of rotation before it stops answering."""

    service: str
    database: Database
    broker: Any
    outbox: Table
    metrics: HubMetrics
    outbox_stuck_after_s: float
    assignments: Assignments = field(default_factory=Assignments)
    now: Callable[[], datetime] = utcnow
    started: bool = False

    async def readiness(self) -> Readiness:
        """Each check: "ok" or a code ("starting", "unreachable", "waiting: <groups>", "stuck")."""
        checks: dict[str, str] = {"started": OK if self.started else "starting"}
        checks["database"] = OK if await answered(self._select_one, CHECK_TIMEOUT_S) else "unreachable"
        checks["broker"] = OK if await answered(lambda: self.broker.ping(CHECK_TIMEOUT_S), CHECK_TIMEOUT_S + 1) else "unreachable"
        waiting = self.assignments.waiting()
        checks["consumers"] = OK if self.started and not waiting else "waiting" if waiting else "starting"
        state = await self._outbox_state_or_none() if checks["database"] == OK else None
        checks["outbox"] = judge_outbox(state, self.outbox_stuck_after_s)
        return Readiness(checks, state)

    async def scrape(self) -> CollectorRegistry:
        """The registry with every gauge read now; a part that does not answer keeps its last value."""
        state = await self._outbox_state_or_none()
        if state is not None:
            self.metrics.show_outbox(state)
        await self.metrics.refresh(self.broker.subscribers)
        return self.metrics.registry

    async def _select_one(self) -> None:
        async with self.database.sessions() as session:
            await session.execute(text("SELECT 1"))

    async def _outbox_state(self) -> OutboxState:
        async with self.database.sessions() as session:
            return await read_outbox_state(session, self.outbox, self.now())

    async def _outbox_state_or_none(self) -> OutboxState | None:
        try:
            return await asyncio.wait_for(self._outbox_state(), CHECK_TIMEOUT_S)
        except Exception:  # an unreachable database is readiness' news, not the scrape's
            return None
