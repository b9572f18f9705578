"""Readiness of a service: may a load balancer, a rollout or an operator count on it now?

Ready means (issue 14): the service finished starting, its database and its broker answer, every
consumer joined its group, and its outbox is not stuck (the oldest row waiting to be published is
younger than `outbox_stuck_after_s`). Each check says "ok" or a short code, never an error's text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.operations.outbox_state import OutboxState

OK = "ok"


@dataclass(frozen=True)
class Readiness:
    """The outcome of one readiness probe: `checks` maps each check to "ok" or its failure code."""

    checks: dict[str, str]
    outbox: OutboxState | None

    @property
    def ready(self) -> bool:
        return all(v == OK for v in self.checks.values())

    def body(self) -> dict[str, Any]:
        """The JSON the probe answers with (and `zorgtafel ops status` reads)."""
        return {
            "ready": self.ready,
            "checks": self.checks,
            "outbox": self.outbox.as_dict() if self.outbox else None,
        }


def judge_outbox(state: OutboxState | None, stuck_after_s: float) -> str:
    """"ok", "unknown" (not read) or "stuck" (the oldest waiting row is older than the limit)."""
    if state is None:
        return "unknown"
    if state.oldest_age_s is not None and state.oldest_age_s > stuck_after_s:
        return "stuck"
    return OK


async def answered(check: Callable[[], Awaitable[Any]], timeout_s: float) -> bool:
    """Whether `check` finishes without an exception within `timeout_s` seconds."""
    try:
        result = await asyncio.wait_for(check(), timeout_s)
    except Exception:  # its text may quote SQL or a host: only whether it answered counts
        return False
    return result is not False
