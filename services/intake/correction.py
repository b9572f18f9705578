"""The referrer corrects what its referral says about the person (covenant Bijlage 3: the right to
correction; art. 16.2: the party that supplied information decides about it).

The corrected block replaces the stored one whole, sealed under the case key; the matching keys
follow it while the case is open, so a repeat referral is recognised on the corrected identity. A
referral whose data retention already purged cannot be corrected: there is nothing left to correct.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import rules
from services.intake.matching import match_keys
from services.intake.models import OPEN_STATUSES, Case, Referral
from shared.contracts.aanmelding import CorrectReferral, ReferralPersonalData, personal_aad
from shared.contracts.rejections import RejectionReason, reason, reasons_from, unreadable
from shared.contracts.untrusted import parse_untrusted
from shared.crypto import CryptoError
from shared.crypto.hub_keys import HubKeys
from shared.crypto.keystore import KeyDestroyedError
from shared.register.store import RegisterStore

CORRECT = "aanmelding.correct-referral"


def parse_correction(
    keys: HubKeys, party: str, body: dict[str, Any]
) -> tuple[CorrectReferral, ReferralPersonalData] | list[RejectionReason]:
    """The correction and its opened block, or the reasons it cannot be read (never raises)."""
    try:
        command = parse_untrusted(CorrectReferral, body)
    except ValidationError as exc:
        return reasons_from(exc)
    try:
        return command, keys.open_from_party(party, command.personal, ReferralPersonalData, aad=personal_aad(command.command_id))
    except ValidationError as exc:
        return reasons_from(exc, "personal")
    except CryptoError as exc:
        return [unreadable("personal", exc)]


async def apply_correction(
    session: AsyncSession, keys: HubKeys, register: RegisterStore, matching_secret: bytes, party: str,
    command: CorrectReferral, personal: ReferralPersonalData, on: date,
) -> tuple[list[RejectionReason], Case | None, Referral | None]:
    """Replace the referral's sealed block; returns the reasons it cannot be, or the case and referral."""
    referral = await session.scalar(
        select(Referral).where(Referral.referrer_party == party, Referral.referrer_reference == command.referrer_reference)
    )
    if referral is None:
        return [reason("referrer_reference", "unknown_referral")], None, None
    case = await session.get(Case, referral.case_id)
    if referral.personal is None or case is None:
        return [reason("referrer_reference", "referral_purged")], None, None
    problems = rules.referral_reasons(personal, case.municipality, await register.municipalities(session, on), on)
    if problems:
        return problems, None, None
    try:
        referral.personal = await keys.seal_for_case(session, case.case_id, "personal", personal)
    except KeyDestroyedError:
        return [reason("referrer_reference", "referral_purged")], None, None
    if case.status in OPEN_STATUSES and not referral.linked_as_repeat:
        matching = match_keys(matching_secret, personal.person)
        case.match_bsn, case.match_name = matching.get("bsn"), matching["name_and_date_of_birth"]
    return [], case, referral
