"""The register of parties: who was a party when (covenant art. 20, 21.3, 23.2, Bijlage 1).

Changes are commands of the Regionale Tafel (issued through the Managers) with an effective
date; each produces a fact on zorgtafel.register.events.v1.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import Notice
from shared.contracts.staff import StaffCommand

PARTY_CODE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Kind = Literal["municipality", "organisation"]


class PartyDetails(BaseModel):
    """A party as the covenant names it; unknown seat or address stays None, never invented."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=PARTY_CODE, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    sector: str = Field(pattern=r"^[a-z_]+$", max_length=40)
    seat: str | None = None
    office_address: str | None = None


class AdmitParty(StaffCommand):
    """Accession by signing Bijlage 1, after every party consented (art. 20.4)."""

    command_type: Literal["register.admit-party"] = "register.admit-party"
    schema_version: Literal[1] = 1
    party: PartyDetails
    effective_on: date


class RecordPartyLeaving(StaffCommand):
    """A party ends its participation in writing (art. 21.3, 23.1)."""

    command_type: Literal["register.record-party-leaving"] = "register.record-party-leaving"
    schema_version: Literal[1] = 1
    code: str = Field(pattern=PARTY_CODE)
    effective_on: date


class ExcludeParty(StaffCommand):
    """The Regionale Tafel excludes a party with immediate effect (art. 23.2)."""

    command_type: Literal["register.exclude-party"] = "register.exclude-party"
    schema_version: Literal[1] = 1
    code: str = Field(pattern=PARTY_CODE)
    effective_on: date


class PartyAdmitted(Notice):
    event_type: Literal["register.party-admitted"] = "register.party-admitted"
    schema_version: Literal[1] = 1
    party: PartyDetails
    effective_on: date
    decided_by: str | None = Field(default=None, description="the Manager whose signed command it carried out")


class PartyLeft(Notice):
    event_type: Literal["register.party-left"] = "register.party-left"
    schema_version: Literal[1] = 1
    code: str
    effective_on: date
    decided_by: str | None = Field(default=None, description="the Manager whose signed command it carried out")


class PartyExcluded(Notice):
    event_type: Literal["register.party-excluded"] = "register.party-excluded"
    schema_version: Literal[1] = 1
    code: str
    effective_on: date
    decided_by: str | None = Field(default=None, description="the Manager whose signed command it carried out")


RegisterEvent = PartyAdmitted | PartyLeft | PartyExcluded
