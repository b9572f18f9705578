"""Reading what a party sends: exactly what the published JSON Schema accepts (issue 12).

A party's message is untrusted in every byte. Pydantic's default (lax) validation coerces: "true"
becomes true, "5" becomes 5, a date-time with a space instead of `T` is taken. The published
schemas (docs/schemas) refuse all of these, and a partner that tests against them must meet a hub
that answers the same. So partner messages are validated in strict mode on their JSON text: JSON's
own types only, with the text forms of `Moment` and `Id` (shared/contracts/envelope.py). Rules the
schema cannot state (the BSN's eleven test, a contact to reach, the covenant's rules) come on top,
each with its own documented code.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def parse_untrusted(model: type[M], body: Any) -> M:
    """`body` (a JSON value as parsed) as a `model`, validated as its JSON Schema would. Raises
    pydantic's ValidationError, whose errors name paths and types but never quote the input when
    read through `shared.contracts.rejections.reasons_from`."""
    return model.model_validate_json(json.dumps(body), strict=True)


def parse_untrusted_json(model: type[M], text: bytes | str) -> M:
    """As `parse_untrusted`, for JSON text (e.g. opened sealed content)."""
    return model.model_validate_json(text, strict=True)
