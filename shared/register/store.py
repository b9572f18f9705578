"""A service's copy of the register in its own database: seed, changes, and who was a party when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, event, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from shared.contracts.register import PartyDetails
from shared.register.history import Membership, Seed, Standing, load_seed, standing


@dataclass(frozen=True)
class RegisterTables:
    party: Table
    membership: Table


def register_tables(metadata: MetaData) -> RegisterTables:
    if "party" in metadata.tables:
        return RegisterTables(metadata.tables["party"], metadata.tables["party_membership"])
    party = Table(
        "party",
        metadata,
        Column("code", String(100), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("sector", String(40), nullable=False),
        Column("seat", String(200)),
        Column("office_address", String(300)),
    )
    membership = Table(
        "party_membership",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("code", ForeignKey("party.code"), nullable=False, index=True),
        Column("valid_from", Date),  # None: since the covenant was signed
        Column("valid_until", Date),  # exclusive
        Column("end_reason", String(20)),
    )
    return RegisterTables(party, membership)


class RegisterStore:
    def __init__(self, tables: RegisterTables) -> None:
        self.t = tables

    async def seed(self, session: AsyncSession, seed: Seed | None = None) -> int:
        """Load the covenant's signatories into an empty register; returns how many were added."""
        if await session.scalar(select(func.count()).select_from(self.t.party)):
            return 0
        seed = seed or load_seed()
        await session.execute(insert(self.t.party), [p.model_dump() for p in seed.parties])
        await session.execute(
            insert(self.t.membership), [{"code": p.code, "valid_from": seed.effective_from} for p in seed.parties]
        )
        return len(seed.parties)

    async def memberships(self, session: AsyncSession, code: str | None = None) -> list[Membership]:
        query = select(self.t.membership)
        if code is not None:
            query = query.where(self.t.membership.c.code == code)
        return [
            Membership(r.code, r.valid_from, r.valid_until, r.end_reason) for r in (await session.execute(query)).all()
        ]

    async def standing(self, session: AsyncSession, code: str, on: date) -> Standing:
        """Whether `code` is a party on `on` (art. 20.4, 21.3, 23.2); asked once per transaction
        (a batch of a party's messages asks once, issue 13) and again after a change in it."""
        memo = _memo(session)
        if ("standing", code, on) not in memo:
            memo[("standing", code, on)] = standing(await self.memberships(session, code), code, on)
        return memo[("standing", code, on)]  # type: ignore[no-any-return]

    async def current_parties(self, session: AsyncSession, on: date) -> list[PartyDetails]:
        all_memberships = await self.memberships(session)
        rows = (await session.execute(select(self.t.party).order_by(self.t.party.c.kind, self.t.party.c.code))).all()
        return [
            PartyDetails.model_validate(r._asdict())
            for r in rows
            if standing(all_memberships, r.code, on) == "party"
        ]

    async def municipalities(self, session: AsyncSession, on: date) -> set[str]:
        """The municipalities that are parties on `on` (the region, art. 2), in one query: asked for
        every referral, so it does not load the whole register, and once per transaction."""
        memo = _memo(session)
        if ("municipalities", on) in memo:
            return memo[("municipalities", on)]  # type: ignore[no-any-return]
        p, m = self.t.party, self.t.membership
        query = (
            select(p.c.code)
            .join(m, m.c.code == p.c.code)
            .where(
                p.c.kind == "municipality",
                (m.c.valid_from.is_(None)) | (m.c.valid_from <= on),
                (m.c.valid_until.is_(None)) | (m.c.valid_until > on),
            )
            .distinct()
        )
        memo[("municipalities", on)] = found = set((await session.scalars(query)).all())
        return found

    async def admit(self, session: AsyncSession, party: PartyDetails, effective_on: date) -> bool:
        """Record an accession (art. 20.4); False when `party` already was a party on that day."""
        if await self.standing(session, party.code, effective_on) == "party":
            return False
        _memo(session).clear()  # what this transaction remembered of the register is out of date
        exists = await session.scalar(select(self.t.party.c.code).where(self.t.party.c.code == party.code))
        if exists:
            await session.execute(update(self.t.party).where(self.t.party.c.code == party.code).values(**party.model_dump()))
        else:
            await session.execute(insert(self.t.party).values(**party.model_dump()))
        await session.execute(insert(self.t.membership).values(code=party.code, valid_from=effective_on))
        return True

    async def end(
        self, session: AsyncSession, code: str, effective_on: date, reason: Literal["left", "excluded"]
    ) -> bool:
        """End the membership that runs on `effective_on` (art. 21.3, 23.2); False when there is none."""
        m = self.t.membership
        open_rows = (await session.execute(select(m).where(m.c.code == code, m.c.valid_until.is_(None)))).all()
        current = [r.id for r in open_rows if r.valid_from is None or r.valid_from <= effective_on]
        if not current:
            return False
        _memo(session).clear()
        await session.execute(
            update(m).where(m.c.id.in_(current)).values(valid_until=effective_on, end_reason=reason)
        )
        return True


_MEMO = "zorgtafel.register"


def _memo(session: AsyncSession) -> dict[tuple[object, ...], object]:
    """What the session's transaction has read of the register."""
    memo: dict[tuple[object, ...], object] = session.info.setdefault(_MEMO, {})
    return memo


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Nothing read of the register outlives the transaction (or savepoint) that read it; the
    inner markers a flush opens and closes are neither."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_MEMO, None)
