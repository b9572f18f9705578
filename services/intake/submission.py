"""Reading a referral a party sent (art. 1.1): the command and its sealed personal data, or the
reasons it cannot be read, as the referrer will be told them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from shared.contracts.aanmelding import REFERENCE_PATTERN, ReferralPersonalData, SubmitReferral
from shared.contracts.rejections import RejectionReason, reasons_from, unreadable
from shared.contracts.untrusted import parse_untrusted
from shared.crypto import CryptoError


def parse_submission(
    body: dict[str, Any], open_personal: Callable[[SubmitReferral], ReferralPersonalData]
) -> tuple[SubmitReferral, ReferralPersonalData] | list[RejectionReason]:
    """The referral and its opened personal data, or the reasons it cannot be read. Never raises
    for bad input: every malformed message becomes reasons the referrer can act on."""
    try:
        command = parse_untrusted(SubmitReferral, body)
    except ValidationError as exc:
        return reasons_from(exc)
    try:
        return command, open_personal(command)
    except ValidationError as exc:
        return reasons_from(exc, "personal")
    except CryptoError as exc:
        return [unreadable("personal", exc)]


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 64 and re.fullmatch(REFERENCE_PATTERN, value) is not None
