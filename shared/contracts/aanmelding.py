"""Aanmelding (referral) contracts: covenant art. 1.1 and 12.2a.

A party submits a referral on its own inbound topic (`SubmitReferral`); the hub records it
and publishes `ReferralReceived`, which names the case by its opaque id only. The person's
data stays in the intake service (issue #3 adds field-level encryption and the full minimal
data set of Bijlage 3).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import Command, Event


class PersonDetails(BaseModel):
    """Minimal identification (Bijlage 3): record only what is needed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date


class SubmitReferral(Command):
    """A party refers a case to the Zorgtafel. The referring party is the owner of the topic."""

    command_type: Literal["aanmelding.submit-referral"] = "aanmelding.submit-referral"
    schema_version: Literal[1] = 1
    # The referrer's own reference: its key for duplicates and for reading our answers.
    referrer_reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")
    person: PersonDetails
    situation: str = Field(min_length=1, max_length=20_000)
    urgency: Literal["regular", "urgent"] = "regular"


class ReferralReceived(Event):
    """The hub recorded a referral and opened a case for it. Carries no personal data."""

    event_type: Literal["aanmelding.referral-received"] = "aanmelding.referral-received"
    schema_version: Literal[1] = 1
    referrer_party: str
    urgency: Literal["regular", "urgent"]
