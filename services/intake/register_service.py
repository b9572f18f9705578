"""The register of parties in intake's database: seed, changes with effective dates, and queries.

Covenant art. 20 (accession through Bijlage 1), 21.3 (leaving), 23.2 (exclusion with immediate
effect). Each change produces a fact on zorgtafel.register.events.v1.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.register import (
    AdmitParty,
    ExcludeParty,
    PartyAdmitted,
    PartyDetails,
    PartyExcluded,
    PartyLeft,
    RecordPartyLeaving,
)
from shared.contracts.topics import REGISTER_EVENTS
from shared.messaging.outbox import Outbox
from services.intake import parties
from services.intake.config import SERVICE
from services.intake.models import Membership, Party


async def seed(session: AsyncSession, seed: parties.Seed | None = None) -> int:
    """Load the covenant's signatories into an empty register; returns how many were added."""
    if await session.scalar(select(func.count()).select_from(Party)):
        return 0
    seed = seed or parties.load_seed()
    session.add_all(Party(**details.model_dump()) for details in seed.parties)
    await session.flush()  # memberships refer to the parties
    session.add_all(Membership(code=details.code, valid_from=seed.effective_from) for details in seed.parties)
    return len(seed.parties)


async def memberships(session: AsyncSession, code: str | None = None) -> list[parties.Membership]:
    query = select(Membership) if code is None else select(Membership).where(Membership.code == code)
    return [
        parties.Membership(m.code, m.valid_from, m.valid_until, m.end_reason)  # type: ignore[arg-type]
        for m in (await session.scalars(query)).all()
    ]


async def standing(session: AsyncSession, code: str, on: date) -> parties.Standing:
    return parties.standing(await memberships(session, code), code, on)


async def current_parties(session: AsyncSession, on: date) -> list[PartyDetails]:
    all_memberships = await memberships(session)
    rows = (await session.scalars(select(Party).order_by(Party.kind, Party.code))).all()
    return [
        PartyDetails.model_validate(row, from_attributes=True)
        for row in rows
        if parties.standing(all_memberships, row.code, on) == "party"
    ]


async def municipalities(session: AsyncSession, on: date) -> set[str]:
    return {p.code for p in await current_parties(session, on) if p.kind == "municipality"}


async def admit(session: AsyncSession, outbox: Outbox, cmd: AdmitParty) -> str | None:
    """Accession (art. 20.4). Returns a refusal reason, or None when done."""
    if await standing(session, cmd.party.code, cmd.effective_on) == "party":
        return "already_a_party"
    row = await session.get(Party, cmd.party.code)
    if row is None:
        session.add(Party(**cmd.party.model_dump()))
        await session.flush()
    else:
        for field, value in cmd.party.model_dump().items():
            setattr(row, field, value)
    session.add(Membership(code=cmd.party.code, valid_from=cmd.effective_on))
    await outbox.stage(
        session,
        REGISTER_EVENTS,
        PartyAdmitted(
            producer=SERVICE,
            correlation_id=cmd.conversation_id,
            causation_id=cmd.command_id,
            party=cmd.party,
            effective_on=cmd.effective_on,
        ),
    )
    return None


async def end_membership(session: AsyncSession, outbox: Outbox, cmd: RecordPartyLeaving | ExcludeParty) -> str | None:
    """Leaving (art. 21.3) or exclusion (art. 23.2): not a party from `effective_on` on."""
    excluded = isinstance(cmd, ExcludeParty)
    open_rows = (
        await session.scalars(select(Membership).where(Membership.code == cmd.code, Membership.valid_until.is_(None)))
    ).all()
    current = [m for m in open_rows if m.valid_from is None or m.valid_from <= cmd.effective_on]
    if not current:
        return "not_a_party"
    for membership in current:
        membership.valid_until = cmd.effective_on
        membership.end_reason = "excluded" if excluded else "left"
    fact = PartyExcluded if excluded else PartyLeft
    await outbox.stage(
        session,
        REGISTER_EVENTS,
        fact(
            producer=SERVICE,
            correlation_id=cmd.conversation_id,
            causation_id=cmd.command_id,
            code=cmd.code,
            effective_on=cmd.effective_on,
        ),
    )
    return None
