"""Issuing purges when they fall due, taking each service's confirmation, raising overdue ones,
and noticing inactive cases (covenant art. 1.2, Bijlage 3).

Purges are issued on their due day and never before: `policy.is_due` works in covenant days
(Europe/Amsterdam). Each (case, service) with categories due becomes one `PurgeCase` command
staged in the outbox together with the ledger's `issued` mark, so a crash can neither lose a
purge nor issue one twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.retention.config import SERVICE
from services.retention.models import (
    CONFIRMED,
    ISSUED,
    PENDING,
    CaseFact,
    LedgerEntry,
    RetentionCase,
    RightsRequest,
)
from services.retention.schedule import inactive_since
from services.retention.service import RetentionBase
from shared.contracts.retention import PurgeCase, PurgeCompleted, PurgeOverdue
from shared.contracts.topics import PURGE_COMMANDS, RETENTION_EVENTS
from shared.messaging.inbox import Inbox
from shared.retention.categories import Category, Phase


class Purges(RetentionBase):
    async def issue_due(self, batch: int = 1000) -> int:
        """Issue every purge due today or earlier; returns how many commands were staged."""
        today = self.policy.local_day(self.now())
        issued = 0
        while True:
            async with self.unit_of_work() as uow:
                session = uow.session
                rows = (
                    await session.execute(
                        select(LedgerEntry, RetentionCase)
                        .join(RetentionCase, RetentionCase.case_ref == LedgerEntry.case_ref)
                        .where(LedgerEntry.state == PENDING, LedgerEntry.due_on <= today)
                        .order_by(LedgerEntry.due_on, LedgerEntry.id)
                        .limit(batch)
                        .with_for_update(skip_locked=True, of=LedgerEntry)
                    )
                ).all()
                if not rows:
                    return issued
                groups: dict[tuple[uuid.UUID, str], list[LedgerEntry]] = defaultdict(list)
                cases = {}
                for entry, case in rows:
                    groups[(case.case_id, entry.service)].append(entry)
                    cases[case.case_id] = case
                # One flush for the whole batch: staging each command would otherwise flush the
                # previous command's ledger marks, a round trip per purge.
                with session.no_autoflush:
                    for (case_id, service), entries in groups.items():
                        await self._issue(session, cases[case_id], service, entries)
                issued += len(groups)
                await uow.commit()

    async def _issue(self, session: AsyncSession, case: RetentionCase, service: str, entries: list[LedgerEntry]) -> None:
        purge_id, at = uuid.uuid4(), self.now()
        command = PurgeCase(
            command_id=purge_id, issued_at=at, correlation_id=case.correlation_id, case_id=case.case_id,
            service=service, actions={Category(e.category): e.action for e in entries},  # type: ignore[misc]
            policy_version=entries[0].policy_version, phase=entries[0].phase, due_on=min(e.due_on for e in entries),
        )
        for entry in entries:
            entry.state, entry.purge_id, entry.issued_at = ISSUED, purge_id, at
        await self.outbox.stage(session, PURGE_COMMANDS, command)

    async def on_completed(self, inbox: Inbox, event: PurgeCompleted) -> str:
        """A service's confirmation: the ledger records the count per category and when."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await inbox.seen(session, event.event_id):
                return "duplicate"
            entries = list(await session.scalars(
                select(LedgerEntry).where(LedgerEntry.purge_id == event.purge_id, LedgerEntry.service == event.service)
            ))
            for entry in entries:
                if entry.state != CONFIRMED:
                    entry.state, entry.confirmed_at = CONFIRMED, event.purged_at
                    entry.count = event.counts.get(entry.category, 0)
            if Category.CASE_RECORD.value in event.counts:  # only then can the case be finished
                await self._forget_finished(session, event.case_id)
            await inbox.record(session, event.event_id)
            await uow.commit()
            return "confirmed" if entries else "unknown_purge"

    async def _forget_finished(self, session: AsyncSession, case_id: uuid.UUID) -> None:
        """Once every service confirmed the case record gone, retention forgets the case id too;
        the ledger keeps only the pseudonymous reference."""
        case = await session.get(RetentionCase, case_id)
        if case is None:
            return
        records = list(await session.scalars(select(LedgerEntry).where(
            LedgerEntry.case_ref == case.case_ref, LedgerEntry.category == Category.CASE_RECORD.value
        )))
        if records and all(r.state == CONFIRMED for r in records):
            await session.delete(case)

    async def flag_overdue(self) -> int:
        """Purges issued but not confirmed within the policy's hours: one event each, once."""
        cutoff = self.now() - timedelta(hours=self.policy.confirm_within_hours)
        async with self.unit_of_work() as uow:
            session = uow.session
            late = list(await session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.state == ISSUED, LedgerEntry.issued_at < cutoff, LedgerEntry.overdue_at.is_(None))
                .with_for_update(skip_locked=True)
            ))
            flagged: set[tuple[uuid.UUID | None, str]] = set()
            for entry in late:
                entry.overdue_at = self.now()
                if (entry.purge_id, entry.service) in flagged or entry.purge_id is None or entry.issued_at is None:
                    continue
                flagged.add((entry.purge_id, entry.service))
                case = await session.scalar(select(RetentionCase).where(RetentionCase.case_ref == entry.case_ref))
                if case is not None:
                    await self.outbox.stage(session, RETENTION_EVENTS, PurgeOverdue(
                        case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id,
                        purge_id=entry.purge_id, service=entry.service,  # type: ignore[arg-type]
                        due_on=entry.due_on, issued_at=entry.issued_at,
                    ))
            await uow.commit()
            return len(flagged)

    async def notice_inactive(self) -> int:
        """Cases with no activity for `inactive_after_days` and no phase yet enter `inactive`."""
        now = self.now()
        async with self.unit_of_work() as uow:
            session = uow.session
            idle = list(await session.scalars(
                select(RetentionCase)
                .where(RetentionCase.phase.is_(None), RetentionCase.last_activity_at < inactive_since(self.policy, now))
                .with_for_update(skip_locked=True)
            ))
            for case in idle:
                await self.enter_phase(session, case, Phase.INACTIVE, now)
            await uow.commit()
            return len(idle)

    async def prune_by_age(self) -> int:
        """What retention keeps about cases that are gone, after its term (Bijlage 3): report facts
        `report_facts` days after the last thing they record (so a year's figures stay the same all
        through the next year, when the report is due); confirmed ledger entries and rights
        requests `audit_records` days after they were done (the proof of a purge lasts as long as
        the processing records it answers for). Returns how many rows went."""
        now = self.now()
        facts_cutoff = now - timedelta(days=self.policy.by_age[Category.REPORT_FACTS].term_days)
        proof_cutoff = now - timedelta(days=self.policy.by_age[Category.AUDIT_RECORDS].term_days)
        async with self.unit_of_work() as uow:
            session = uow.session
            candidates = await session.scalars(
                select(CaseFact).where(CaseFact.referred_at.is_(None) | (CaseFact.referred_at < facts_cutoff))
            )
            old_facts = [f.case_ref for f in candidates if _last_date(f, default=now) < facts_cutoff]
            gone = 0
            if old_facts:
                gone += (await session.execute(delete(CaseFact).where(CaseFact.case_ref.in_(old_facts)))).rowcount or 0
            gone += (await session.execute(delete(LedgerEntry).where(
                LedgerEntry.state == CONFIRMED, LedgerEntry.confirmed_at < proof_cutoff
            ))).rowcount or 0
            gone += (await session.execute(delete(RightsRequest).where(RightsRequest.decided_at < proof_cutoff))).rowcount or 0
            await uow.commit()
            return gone


def _last_date(fact: CaseFact, *, default: datetime) -> datetime:
    dates = (
        fact.referred_at, fact.accepted_at, fact.declined_at, fact.not_a_case_at, fact.casusoverleg_at,
        fact.afgeschaald_at, fact.escalated_at,
    )
    return max((d for d in dates if d is not None), default=default)
