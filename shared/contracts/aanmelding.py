"""Aanmelding (referral) contracts: covenant art. 1.1, 12.2a and Bijlage 2-3.

A party submits a referral on its own inbound topic (`SubmitReferral`). What the referral says
about the person travels sealed: `personal` is a `ReferralPersonalData` sealed with the party's
transport key, so no personal data lies in clear on Kafka. The parts the hub routes on
(reference, municipality, Bijlage 2 indicators, urgency) stay readable.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.contracts.envelope import Command, Day, Event
from shared.crypto import Sealed

REFERENCE_PATTERN = r"^[A-Za-z0-9._:/-]+$"
# No control characters (C0, DEL, C1) in a name; free text may hold tabs and line breaks. A NUL in
# a given name is no name anyone can act on (issue 12, case 4); the schema states the same.
NAME_TEXT = r"^[^\x00-\x1f\x7f-\x9f]+$"
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+$"


def eleven_test(bsn: str) -> bool:
    """The BSN 'elfproef': 9 digits, weights 9..2 and -1, sum divisible by 11, not all zeros."""
    if len(bsn) != 9 or not bsn.isdigit() or set(bsn) == {"0"}:
        return False
    total = sum(int(d) * w for d, w in zip(bsn, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0


def _checked_bsn(value: str) -> str:
    if not eleven_test(value):
        # The message never repeats the value: it is personal data.
        raise PydanticCustomError("bsn_invalid", "BSN fails the eleven test")
    return value


class LifeDomain(StrEnum):
    """Life domains (leefgebieden) for criterion D of Bijlage 2."""

    SAFETY = "safety"
    HOUSING = "housing"
    INCOME_AND_DEBTS = "income_and_debts"
    PHYSICAL_HEALTH = "physical_health"
    MENTAL_HEALTH = "mental_health"
    ADDICTION = "addiction"
    WORK_AND_DAYTIME = "work_and_daytime"
    EDUCATION = "education"
    FAMILY_AND_PARENTING = "family_and_parenting"
    SOCIAL_NETWORK = "social_network"
    LEGAL_AND_RESIDENCE_STATUS = "legal_and_residence_status"
    DAILY_LIVING = "daily_living"


class Indicators(BaseModel):
    """The Bijlage 2 criteria as the referrer sees them; `None` means 'do not know'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    serious_local_safety_problem: bool | None = None  # A: needs a cross-chain approach
    family_or_social_environment: bool | None = None  # B: influenced by / affects the system
    several_chains_needed: bool | None = None  # C: at least "dwang en drang"
    # D: problems on more than one life domain; each once (the schema says so too: uniqueItems)
    life_domains: tuple[LifeDomain, ...] = Field(default=(), json_schema_extra={"uniqueItems": True})

    @model_validator(mode="after")
    def _domains_unique(self) -> Indicators:
        if len(set(self.life_domains)) != len(self.life_domains):
            raise PydanticCustomError("life_domains_repeated", "a life domain is listed twice")
        return self


class Person(BaseModel):
    """The minimal identification of Bijlage 3; unknown place of birth or nationality is None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
    family_name: str = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
    # Nine digits (in the schema); the eleven test on top is a rule no JSON Schema can state (bsn_invalid).
    bsn: Annotated[str, Field(pattern=r"^[0-9]{9}$"), AfterValidator(_checked_bsn)] | None = None
    date_of_birth: Day
    place_of_birth: str | None = Field(default=None, min_length=1, max_length=200, pattern=NAME_TEXT)
    nationality: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


def _kind_required(schema: dict[str, Any]) -> None:
    """`kind` tells the two apart: a sender must send it (its default serves the hub's own code)."""
    schema["required"] = sorted({*schema.get("required", []), "kind"})


class ConsentGiven(BaseModel):
    """Consent by age (Bijlage 3, MO Den Bosch): under 12 the guardian; 12-16 child and guardian; 16+ the person."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_kind_required)

    kind: Literal["consent"] = "consent"
    by_person: bool
    by_guardian: bool
    recorded_on: Day


class SafetyOverride(BaseModel):
    """Recording or sharing without consent because safety is at stake (Bijlage 3, MO Den Bosch)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_kind_required)

    kind: Literal["safety_override"] = "safety_override"
    reason: str = Field(min_length=1, max_length=5_000, pattern=FREE_TEXT)
    colleague_consulted: str = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
    how_person_was_informed: str = Field(min_length=1, max_length=2_000, pattern=FREE_TEXT)
    recorded_on: Day


class Professional(BaseModel):
    """The referring professional, for the Procesregisseur's questions (art. 12.2a): a phone
    number or an e-mail address at least (the schema's anyOf says the same)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        {"required": ["email"], "properties": {"email": {"type": "string"}}},
    ]})

    name: str = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
    phone: str | None = Field(default=None, min_length=6, max_length=30, pattern=r"^[0-9+() -]+$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @model_validator(mode="after")
    def _reachable(self) -> Professional:
        if self.phone is None and self.email is None:
            raise PydanticCustomError("contact_missing", "phone or email is required")
        return self


class ReferralPersonalData(BaseModel):
    """What a referral says about the person: only ever sealed, never in clear on Kafka."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person: Person
    situation: str = Field(min_length=1, max_length=20_000, pattern=FREE_TEXT)
    consent: Annotated[ConsentGiven | SafetyOverride, Field(discriminator="kind")]
    professional: Professional


class SubmitReferral(Command):
    """A party refers a case to the Zorgtafel (art. 1.1). The referring party is the topic's owner."""

    command_type: Literal["aanmelding.submit-referral"] = "aanmelding.submit-referral"
    schema_version: Literal[1] = 1
    # The referrer's own reference: its key for duplicates and for reading our answers.
    referrer_reference: str = Field(min_length=1, max_length=64, pattern=REFERENCE_PATTERN)
    municipality: str = Field(
        min_length=1, max_length=100, description="Party code of the municipality of residence, e.g. gemeente-helmond"
    )
    indicators: Indicators
    urgency: Literal["regular", "urgent"] = "regular"
    personal: Sealed = Field(
        description="ReferralPersonalData sealed with the party's transport key; AAD 'zorgtafel:submit-referral:<command_id>' (docs/sealing.md)"
    )


class CorrectReferral(Command):
    """The referring party corrects what its referral says about the person (Bijlage 3: the
    person's right to correction; art. 16.2: the supplier decides about its information). The
    corrected block replaces the stored one whole; the hub keeps no earlier version."""

    command_type: Literal["aanmelding.correct-referral"] = "aanmelding.correct-referral"
    schema_version: Literal[1] = 1
    referrer_reference: str = Field(min_length=1, max_length=64, pattern=REFERENCE_PATTERN)
    personal: Sealed = Field(
        description="the corrected ReferralPersonalData sealed with the party's transport key; AAD 'zorgtafel:submit-referral:<command_id>' (docs/sealing.md)"
    )


def personal_aad(command_id: object) -> bytes:
    """Binds a referral's sealed personal data to its command, so it cannot be replayed in another."""
    return f"zorgtafel:submit-referral:{command_id}".encode()


class ReferralReceived(Event):
    """The hub recorded a referral and opened a case for it. Carries no personal data."""

    event_type: Literal["aanmelding.referral-received"] = "aanmelding.referral-received"
    schema_version: Literal[1] = 1
    referrer_party: str
    urgency: Literal["regular", "urgent"]
