"""The register of parties as data with history (covenant art. 20, 21.3, 23.2; Bijlage 1).

Pure functions over memberships; the seed is the list of signatories in
`shared/register/data/parties.v1.json`, read from the signed covenant. The covenant takes effect on the day the
parties sign it (art. 23.1) and names no date, so the founding memberships start "at signing"
(`valid_from` None). A membership ends on the day a party leaves (art. 21.3) or is excluded
(art. 23.2, with immediate effect): from that day it may not refer, be invited or receive data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Literal

from shared.contracts.register import PartyDetails

Standing = Literal["party", "not_a_party", "party_left", "party_excluded"]
SEED_FILE = "parties.v1.json"


@dataclass(frozen=True)
class Membership:
    code: str
    valid_from: date | None  # None: since the covenant was signed
    valid_until: date | None = None  # exclusive: not a party on this day
    end_reason: Literal["left", "excluded"] | None = None

    def covers(self, on: date) -> bool:
        started = self.valid_from is None or self.valid_from <= on
        return started and (self.valid_until is None or on < self.valid_until)


def standing(memberships: list[Membership], code: str, on: date) -> Standing:
    """Was `code` a party on `on`? If not, why not (for the audit record)."""
    own = [m for m in memberships if m.code == code]
    if any(m.covers(on) for m in own):
        return "party"
    ended = [m for m in own if m.valid_until is not None and m.valid_until <= on]
    if ended:
        last = max(ended, key=lambda m: m.valid_until or date.min)
        return "party_excluded" if last.end_reason == "excluded" else "party_left"
    return "not_a_party"


@dataclass(frozen=True)
class Seed:
    version: int
    effective_from: date | None
    parties: tuple[PartyDetails, ...]


def load_seed() -> Seed:
    raw = json.loads(resources.files("shared.register").joinpath("data", SEED_FILE).read_text(encoding="utf-8"))
    return Seed(
        version=raw["schema_version"],
        effective_from=date.fromisoformat(raw["effective_from"]) if raw["effective_from"] else None,
        parties=tuple(PartyDetails.model_validate(p) for p in raw["parties"]),
    )
