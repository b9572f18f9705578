"""Triage contracts: covenant art. 1.15 and 12.2b."""

from __future__ import annotations

from typing import Literal

from shared.contracts.envelope import Event


class TriageCaseOpened(Event):
    """Triage opened a case for a received referral. Carries no personal data."""

    event_type: Literal["triage.case-opened"] = "triage.case-opened"
    schema_version: Literal[1] = 1
    referrer_party: str
