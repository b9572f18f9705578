"""A batch's new cases and referrals, held until its commit (shared/persistence/deferred.py), and
the two questions a later referral of the same batch asks of them (issue 13).

Art. 1.1: a referral is taken once per party and reference (a second is a duplicate); a referral
about a person with an open case is linked to that case (matched on keyed hashes), even when that
case was opened by an earlier referral of the same batch.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import OPEN_STATUSES, Case, Referral
from shared.persistence.deferred import held, insert_or_hold

CASES: Table = Case.__table__  # type: ignore[assignment]
REFERRALS: Table = Referral.__table__  # type: ignore[assignment]
# Every column of a new case (a batch's rows are written in one executemany: one shape).
_CASE_DEFAULTS = {"decided_at": None, "decided_by": None, "decline_reason": None}


async def add_case(session: AsyncSession, **values: Any) -> None:
    await insert_or_hold(session, CASES, {**_CASE_DEFAULTS, **values})


async def add_referral(session: AsyncSession, **values: Any) -> None:
    await insert_or_hold(session, REFERRALS, values)


async def known_referral(session: AsyncSession, party: str, reference: str) -> uuid.UUID | None:
    """The case of `party`'s earlier referral under `reference`, if it made one."""
    for row in held(session, REFERRALS):
        if (row["referrer_party"], row["referrer_reference"]) == (party, reference):
            return row["case_id"]  # type: ignore[no-any-return]
    return await session.scalar(
        select(Referral.case_id).where(Referral.referrer_party == party, Referral.referrer_reference == reference)
    )


async def open_case_of(session: AsyncSession, keys: dict[str, str]) -> tuple[uuid.UUID, str | None] | None:
    """(case id, its BSN hash) of the oldest open case matching the person's keyed hashes."""
    matches = [Case.match_name == keys["name_and_date_of_birth"]]
    if "bsn" in keys:
        matches.append(Case.match_bsn == keys["bsn"])
    found = (await session.execute(
        select(Case.case_id, Case.match_bsn).where(Case.status.in_(OPEN_STATUSES), or_(*matches)).order_by(Case.opened_at).limit(1)
    )).first()
    if found is not None:  # older than any case this batch opened
        return found.case_id, found.match_bsn
    for row in held(session, CASES):
        if row["status"] in OPEN_STATUSES and (
            row["match_name"] == keys["name_and_date_of_birth"] or ("bsn" in keys and row["match_bsn"] == keys["bsn"])
        ):
            return row["case_id"], row["match_bsn"]
    return None
