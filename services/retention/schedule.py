"""Pure rules of the retention clock: which purge of a case falls due on which day.

Covenant art. 1.2 (afschaling: cleanse what is no longer necessary, then the dossier disappears)
and Bijlage 3 (data no longer needed is destroyed), with the terms of the policy in force
(`shared/retention/policy.py`). No I/O: the service stores and issues what these functions say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from shared.retention.categories import HELD_BY, Category, Phase
from shared.retention.policy import RetentionPolicy


@dataclass(frozen=True)
class PlannedPurge:
    """One category of one case in one service, due on a covenant day (Europe/Amsterdam)."""

    service: str
    category: Category
    action: str
    due_on: date


def plan(policy: RetentionPolicy, phase: Phase, started_at: datetime) -> list[PlannedPurge]:
    """Every per-case purge a phase calls for, in every service that holds the category.

    Raises ValueError for a naive `started_at`.
    """
    return [
        PlannedPurge(service, category, policy.rule(phase, category).action.value, policy.due_on(phase, category, started_at))
        for category, services in HELD_BY.items()
        for service in services
    ]


def earlier(current_due: date | None, planned: PlannedPurge) -> bool:
    """When phases overlap (opgeschaald, then afgeschaald; an erasure) the earliest day wins:
    privacy first, and a purge once planned is never postponed."""
    return current_due is None or planned.due_on < current_due


def phase_of(event_type: str, route: str | None = None, *, casusoverleg_running: bool = False) -> Phase | None:
    """The phase an event starts, if any: declined at intake (12.2a), not a Zorgtafel case or to
    a Zorg- en Veiligheidshuis (Bijlage 2), afgeschaald (1.2, 8.4d)."""
    if event_type == "intake.referral-declined":
        return Phase.DECLINED_AT_INTAKE
    if event_type == "triage.decided" and route == "not_a_zorgtafel_case":
        return Phase.NOT_A_ZORGTAFEL_CASE
    if event_type == "triage.case-escalated":
        # Opschaling does not end a running Casusoverleg (decision 0005): its afschaling will.
        return None if casusoverleg_running else Phase.OPGESCHAALD
    if event_type == "afschaling.decided":
        return Phase.AFGESCHAALD
    return None


def opgeschaald_clock(event_type: str, route: str | None = None) -> Literal["stop", "restart"]:
    """An opgeschaald case still worked on at the Zorgtafel (Bijlage 2): a triage decision for a
    Casusoverleg after all stops the hand-over clock (its afschaling will start one); any other
    activity starts the clock again from that moment (the hand-over is not over yet)."""
    return "stop" if event_type == "triage.decided" and route == "casusoverleg" else "restart"


def inactive_since(policy: RetentionPolicy, now: datetime) -> datetime:
    """A case with no activity since before this moment has become inactive (Bijlage 3)."""
    return now - timedelta(days=policy.inactive_after_days)


def first_due(planned: Iterable[PlannedPurge]) -> date:
    return min(p.due_on for p in planned)
