"""Recognising a repeat referral about the same person without keeping clear identifiers.

The match key is an HMAC-SHA256, under a secret from configuration, of the BSN or, when there
is none, of the normalised name with the date of birth (both are kept when there is a BSN). Equal people give equal keys; the key
cannot be turned back into the person without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Literal

from shared.contracts.aanmelding import Person

MatchedOn = Literal["bsn", "name_and_date_of_birth"]


def _normalised(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.casefold().replace("-", " ").split())


def match_keys(secret: bytes, person: Person) -> dict[MatchedOn, str]:
    """Both keys where both can be made: a later referral without a BSN still finds the case."""
    name = f"{_normalised(person.given_name)}|{_normalised(person.family_name)}"
    keys: dict[MatchedOn, str] = {
        "name_and_date_of_birth": _hmac(secret, f"name-dob:{name}|{person.date_of_birth.isoformat()}")
    }
    if person.bsn:
        keys["bsn"] = _hmac(secret, f"bsn:{person.bsn}")
    return keys


def _hmac(secret: bytes, material: str) -> str:
    return hmac.new(secret, material.encode(), hashlib.sha256).hexdigest()
