"""A batch's new cases and referrals, held until its commit (shared/persistence/deferred.py), and
the two questions a later referral of the same batch asks of them (issue 13).

Art. 1.1: a referral is taken once per party and reference (a second is a duplicate); a referral
about a person with an open case is linked to that case (matched on keyed hashes), even when that
case was opened by an earlier referral of the same batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.matching import match_keys
from services.intake.models import OPEN_STATUSES, Case, Referral
from shared.messaging.inbox import Inbox
from shared.messaging.partner_messages import scoped_id
from shared.persistence.deferred import held_by, insert_or_hold, transaction_memo
from shared.register.gate import message_id_of
from shared.register.store import RegisterStore

SUBMIT = "aanmelding.submit-referral"
CASES: Table = Case.__table__  # type: ignore[assignment]
REFERRALS: Table = Referral.__table__  # type: ignore[assignment]
# Every column of a new case (a batch's rows are written in one executemany: one shape).
_CASE_DEFAULTS = {"decided_at": None, "decided_by": None, "decline_reason": None}


async def add_case(session: AsyncSession, **values: Any) -> None:
    await insert_or_hold(session, CASES, {**_CASE_DEFAULTS, **values})


async def add_referral(session: AsyncSession, **values: Any) -> None:
    await insert_or_hold(session, REFERRALS, values)


async def prefetch_submissions(
    session: AsyncSession, messages: Sequence[tuple[str, Any, Any]], parse: Callable[[str, dict[str, Any]], Any],
    matching_secret: bytes, may_open: Callable[[str, dict[str, Any]], Awaitable[bool]],
) -> None:
    """Open and validate a batch's referrals (`parse(party, body)`: the command and its personal
    data, or the reasons it cannot be taken) before any is handled, so that what they ask of
    earlier referrals and open cases is one query each for the batch; only those `may_open` allows
    (a party's that may refer, art. 21.3 and 23.2; not one handled before). Each result is kept for
    `parsed_before`: a body is the same object throughout the batch."""
    parsed = transaction_memo(session, "intake:parsed")
    taken: list[tuple[str, Any]] = []
    for party, body, _ in messages:
        if isinstance(body, dict) and body.get("command_type") == SUBMIT and await may_open(party, body):
            parsed[id(body)] = found = parse(party, body)
            if not isinstance(found, list):
                taken.append((party, found))
    await prefetch(
        session, [(party, command.referrer_reference) for party, (command, _) in taken],
        [match_keys(matching_secret, personal.person) for _, (_, personal) in taken],
    )


async def may_open(
    session: AsyncSession, inbox: Inbox, register: RegisterStore, on: date, party: str, body: dict[str, Any]
) -> bool:
    """Whether a referral's sealed data may be opened ahead of its turn: not one handled before,
    and only a current party's (art. 21.3, 23.2); both answered from the batch's prefetches."""
    message_id = message_id_of(body)
    if message_id is not None and await inbox.seen(session, scoped_id(party, message_id)):
        return False
    return await register.standing(session, party, on) == "party"


def parsed_before(session: AsyncSession, body: dict[str, Any]) -> Any:
    """What `prefetch_submissions` made of `body`, once; None when it did not see it."""
    return transaction_memo(session, "intake:parsed").pop(id(body), None)


async def prefetch(session: AsyncSession, references: list[tuple[str, str]], keys: list[dict[str, str]]) -> None:
    """Ask once for a batch's referrals: which (party, reference) pairs were taken before, and
    which open cases match the people's keyed hashes. `known_referral` and `open_case_of` then
    answer for them without a query, in this transaction."""
    if references:
        taken = transaction_memo(session, "intake:references")
        taken.update(dict.fromkeys(references))
        rows = await session.execute(select(Referral.referrer_party, Referral.referrer_reference, Referral.case_id).where(
            tuple_(Referral.referrer_party, Referral.referrer_reference).in_(references)
        ))
        taken.update({(r.referrer_party, r.referrer_reference): r.case_id for r in rows})
    names = {k["name_and_date_of_birth"] for k in keys}
    bsns = {k["bsn"] for k in keys if "bsn" in k}
    if names:
        asked = transaction_memo(session, "intake:open-cases")
        found = await session.execute(
            select(Case.case_id, Case.match_bsn, Case.match_name, Case.opened_at)
            .where(Case.status.in_(OPEN_STATUSES), or_(Case.match_name.in_(sorted(names)), Case.match_bsn.in_(sorted(bsns))))
        )
        asked.setdefault("names", set()).update(names)
        asked.setdefault("bsns", set()).update(bsns)
        asked.setdefault("rows", []).extend(found.all())


async def known_referral(session: AsyncSession, party: str, reference: str) -> uuid.UUID | None:
    """The case of `party`'s earlier referral under `reference`, if it made one."""
    for row in held_by(session, REFERRALS, "referrer_reference", reference):
        if row["referrer_party"] == party:
            return row["case_id"]  # type: ignore[no-any-return]
    taken = transaction_memo(session, "intake:references")
    if (party, reference) in taken:
        return taken[(party, reference)]  # type: ignore[no-any-return]
    return await session.scalar(
        select(Referral.case_id).where(Referral.referrer_party == party, Referral.referrer_reference == reference)
    )


async def open_case_of(session: AsyncSession, keys: dict[str, str]) -> tuple[uuid.UUID, str | None] | None:
    """(case id, its BSN hash) of the oldest open case matching the person's keyed hashes."""
    asked = transaction_memo(session, "intake:open-cases")
    if keys["name_and_date_of_birth"] in asked.get("names", ()) and keys.get("bsn", "") in {"", *asked.get("bsns", ())}:
        matching = [r for r in asked["rows"] if r.match_name == keys["name_and_date_of_birth"]
                    or ("bsn" in keys and r.match_bsn == keys["bsn"])]
        found = min(matching, key=lambda r: r.opened_at, default=None)
    else:
        matches = [Case.match_name == keys["name_and_date_of_birth"]]
        if "bsn" in keys:
            matches.append(Case.match_bsn == keys["bsn"])
        found = (await session.execute(
            select(Case.case_id, Case.match_bsn).where(Case.status.in_(OPEN_STATUSES), or_(*matches))
            .order_by(Case.opened_at).limit(1)
        )).first()
    if found is not None:  # older than any case this batch opened
        return found.case_id, found.match_bsn
    candidates = held_by(session, CASES, "match_name", keys["name_and_date_of_birth"])
    if "bsn" in keys:
        candidates = candidates + held_by(session, CASES, "match_bsn", keys["bsn"])
    opened = sorted((row for row in candidates if row["status"] in OPEN_STATUSES), key=lambda row: row["opened_at"])
    return (opened[0]["case_id"], opened[0]["match_bsn"]) if opened else None
