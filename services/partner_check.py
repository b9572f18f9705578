"""What the hub would answer a partner's message, without sending it (issue 12, deliverable 6).

A party's engineer runs `zorgtafel partner check <file.json> --party <code>` on a message their
system produced: it is validated as the hub validates it (the published schema, strictly; the
sealed fields opened with the party's transport key and the associated data of docs/sealing.md;
the covenant's rules that need no case), and the answer the hub would give is returned. Whether a
question, consultation, invitation or action exists only the hub knows: those are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from services.intake import rules
from services.intake.submission import parse_submission
from shared.contracts.aanmelding import CorrectReferral, ReferralPersonalData, personal_aad
from shared.contracts.casemeeting import ReportProgress, SupplyInformation, action_aad, item_aad
from shared.contracts.intake import AnswerQuestion, answer_aad
from shared.contracts.partner import PARTNER_COMMANDS
from shared.contracts.rejections import RejectionReason, reason, reasons_from, unreadable
from shared.contracts.triage import AnswerConsultation, consultation_answer_aad
from shared.contracts.untrusted import parse_untrusted, parse_untrusted_json
from shared.crypto import CryptoError, Sealed, open_sealed, open_text

# The sealed text field of each message and its associated data (docs/sealing.md).
_SEALED_TEXT: dict[type[BaseModel], tuple[str, Callable[[Any], bytes]]] = {
    AnswerQuestion: ("answer", lambda m: answer_aad(m.question_id)),
    AnswerConsultation: ("answer", lambda m: consultation_answer_aad(m.consultation_id)),
    SupplyInformation: ("content", lambda m: item_aad(m.item_id)),
    ReportProgress: ("note", lambda m: action_aad(m.action_id, "progress")),
}


KeyFor = Callable[[str], bytes]


def check(body: Any, key_for: KeyFor, *, municipalities: set[str], today: date, now: datetime) -> dict[str, Any]:
    """The hub's answer to `body` from a party whose transport key of each kid is `key_for(kid)`
    (raising TransportKeyError for a kid it may not use): `{"answer":
    "received" | "rejected", "reasons": [{path, code, message_nl, message_en}], "command_type"}`.
    `municipalities` are the register's municipalities on `today` (the covenant's day)."""
    if not isinstance(body, dict):
        return _answer(None, [reason("", "not_json")])
    kind = body.get("command_type")
    model = PARTNER_COMMANDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return _answer(None, [reason("command_type", "unknown_message_type")])
    if kind == "aanmelding.submit-referral":
        return _answer(kind, _referral_reasons(body, key_for, municipalities, today, now))
    try:
        command = parse_untrusted(model, body)
    except ValidationError as exc:
        return _answer(kind, reasons_from(exc))
    problems = rules.issued_at_reasons(command.issued_at, now)
    if isinstance(command, CorrectReferral):
        problems += _opened_personal(command.personal, key_for, personal_aad(command.command_id))
    elif type(command) in _SEALED_TEXT:
        field, aad = _SEALED_TEXT[type(command)]
        sealed = getattr(command, field)
        if sealed is not None:
            problems += _unopened(field, sealed, key_for, aad(command))
    return _answer(kind, problems)


def _referral_reasons(
    body: dict[str, Any], key_for: KeyFor, municipalities: set[str], today: date, now: datetime
) -> list[RejectionReason]:
    def open_personal(command: Any) -> ReferralPersonalData:
        raw = open_sealed(command.personal, key_for(command.personal.kid), aad=personal_aad(command.command_id))
        return parse_untrusted_json(ReferralPersonalData, raw)

    parsed = parse_submission(body, open_personal)
    if isinstance(parsed, list):
        return parsed
    command, personal = parsed
    return rules.issued_at_reasons(command.issued_at, now) + rules.referral_reasons(
        personal, command.municipality, municipalities, today
    )


def _opened_personal(sealed: Sealed, key_for: KeyFor, aad: bytes) -> list[RejectionReason]:
    try:
        parse_untrusted_json(ReferralPersonalData, open_sealed(sealed, key_for(sealed.kid), aad=aad))
    except ValidationError as exc:
        return reasons_from(exc, "personal")
    except CryptoError as exc:
        return [unreadable("personal", exc)]
    return []


def _unopened(field: str, sealed: Sealed, key_for: KeyFor, aad: bytes) -> list[RejectionReason]:
    try:
        open_text(sealed, key_for(sealed.kid), aad=aad)
    except CryptoError as exc:
        return [unreadable(field, exc)]
    return []


def _answer(command_type: str | None, reasons: list[RejectionReason]) -> dict[str, Any]:
    return {
        "command_type": command_type,
        "answer": "rejected" if reasons else "received",
        "reasons": [r.model_dump() for r in reasons],
    }
