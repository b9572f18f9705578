"""Retention contracts: purges each service carries out, their proof, and the person's rights.

Covenant art. 1.2 (after afschaling the dossier is cleansed and in the end disappears) and
Bijlage 3 (data no longer needed is destroyed). None of these messages carries personal data:
cases by opaque id, categories by name, rows by count. The person's rights are in `rights.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.contracts.envelope import Command, Event
from shared.retention.categories import Category

PurgeService = Literal["intake", "triage", "casemeeting"]


class PurgeCase(Command):
    """From retention to one service (zorgtafel.purge.commands.v1): purge these categories of this case.

    `actions` maps a category to `cleanse` or `delete`; the service knows its own rows. Carried
    out once per `command_id` (the purge id), in one transaction with the key's destruction.
    """

    command_type: Literal["retention.purge-case"] = "retention.purge-case"
    schema_version: Literal[1] = 1
    case_id: UUID
    service: PurgeService
    actions: dict[Category, Literal["cleanse", "delete"]] = Field(min_length=1)
    policy_version: str
    phase: str
    due_on: date

    @property
    def key(self) -> str:
        """Keyed by case, so a case's purges reach a service in the order they were issued."""
        return str(self.case_id)


class PurgeCompleted(Event):
    """A service's proof that it purged (zorgtafel.retention.events.v1): counts only, no data."""

    event_type: Literal["retention.purge-completed"] = "retention.purge-completed"
    schema_version: Literal[1] = 1
    purge_id: UUID
    service: PurgeService
    policy_version: str
    counts: dict[str, int] = Field(description="rows cleansed or deleted per category; case_keys: keys destroyed")
    purged_at: AwareDatetime


class PurgeOverdue(Event):
    """A purge not confirmed within the policy's `confirm_within_hours`: operations must look."""

    event_type: Literal["retention.purge-overdue"] = "retention.purge-overdue"
    schema_version: Literal[1] = 1
    purge_id: UUID
    service: PurgeService
    due_on: date
    issued_at: AwareDatetime


class PhaseEntered(Event):
    """Retention started a retention clock for the case: which phase, under which policy version."""

    event_type: Literal["retention.phase-entered"] = "retention.phase-entered"
    schema_version: Literal[1] = 1
    phase: str
    policy_version: str
    first_due_on: date


RetentionEvent = PurgeCompleted | PurgeOverdue | PhaseEntered
