"""Issuing purges when they fall due, taking each service's confirmation, raising overdue ones,
and noticing inactive cases (covenant art. 1.2, Bijlage 3).

Purges are issued on their due day and never before: `policy.is_due` works in covenant days
(Europe/Amsterdam). Each (case, service) with categories due becomes one `PurgeCase` command
staged in the outbox together with the ledger's `issued` mark, so a crash can neither lose a
purge nor issue one twice.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
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
from shared.persistence.sets import one_of
from shared.retention.categories import Category, Phase


class Purges(RetentionBase):
    async def issue_due(self, batch: int = 1000, on_issued: Callable[[list[PurgeCase]], None] | None = None) -> int:
        """Issue every purge due today or earlier; returns how many commands were staged. Each batch
        of `batch` ledger entries is one transaction of three statements (read, mark issued, stage),
        however many purges; `on_issued` gets each batch's commands once it committed, so the relay
        can publish them while the next batch is read (a backlog of 10,000 cases reaches the services
        as a stream, not after the last batch)."""
        today = self.policy.local_day(self.now())
        ledger, cases = LedgerEntry.__table__, RetentionCase.__table__
        issued = 0
        while True:
            async with self.unit_of_work() as uow:
                session = uow.session
                rows = (
                    await session.execute(
                        select(
                            ledger.c.id, ledger.c.service, ledger.c.category, ledger.c.action, ledger.c.phase,
                            ledger.c.policy_version, ledger.c.due_on, cases.c.case_id, cases.c.correlation_id,
                        )
                        .join(cases, cases.c.case_ref == ledger.c.case_ref)
                        .where(ledger.c.state == PENDING, ledger.c.due_on <= today)
                        .order_by(ledger.c.due_on, ledger.c.id)
                        .limit(batch)
                        .with_for_update(skip_locked=True, of=ledger)
                    )
                ).all()
                if not rows:
                    return issued
                groups: dict[tuple[uuid.UUID, str], list[Any]] = defaultdict(list)
                for row in rows:
                    groups[(row.case_id, row.service)].append(row)
                at = self.now()
                commands = [self._command(entries, at) for entries in groups.values()]
                await self._mark_issued(session, commands, list(groups.values()), at)
                await self.outbox.stage_many(session, [(PURGE_COMMANDS, command) for command in commands])
                issued += len(commands)
                await uow.commit()
            if on_issued is not None:
                on_issued(commands)

    @staticmethod
    def _command(entries: list[Any], at: datetime) -> PurgeCase:
        """The purge command for one case in one service, from its due ledger entries."""
        first = entries[0]
        return PurgeCase(
            command_id=uuid.uuid4(), issued_at=at, correlation_id=first.correlation_id, case_id=first.case_id,
            service=first.service, actions={Category(e.category): e.action for e in entries},
            policy_version=first.policy_version, phase=first.phase, due_on=min(e.due_on for e in entries),
        )

    async def on_completed(self, inbox: Inbox, event: PurgeCompleted) -> str:
        """A service's confirmation: the ledger records the count per category and when."""
        return (await self.on_completed_many(inbox, [event])).get(event.event_id, "duplicate")

    async def on_completed_many(self, inbox: Inbox, events: list[PurgeCompleted]) -> dict[uuid.UUID, str]:
        """Confirmations in one transaction: each purge's ledger entries get their counts; a case
        whose record every service confirmed gone is forgotten. By event id: what became of it."""
        ledger = LedgerEntry.__table__
        async with self.unit_of_work() as uow:
            session = uow.session
            seen = await inbox.seen_many(session, [e.event_id for e in events])
            todo = list({e.event_id: e for e in events if e.event_id not in seen}.values())
            if not todo:
                return {}
            await self._mark_confirmed(session, todo)
            known = set(await session.scalars(
                select(ledger.c.purge_id).where(one_of(session, ledger.c.purge_id, {e.purge_id for e in todo})).distinct()
            ))
            for case_id in {e.case_id for e in todo if Category.CASE_RECORD.value in e.counts}:
                await self._forget_finished(session, case_id)  # only then can a case be finished
            await inbox.record_many(session, [e.event_id for e in todo])
            await uow.commit()
            return {e.event_id: "confirmed" if e.purge_id in known else "unknown_purge" for e in todo}

    @staticmethod
    async def _mark_issued(session: AsyncSession, commands: list[PurgeCase], groups: list[list[Any]], at: datetime) -> None:
        """Each command's ledger entries are issued under its purge id. On PostgreSQL one statement
        for the whole batch: the (entry, purge) pairs as two arrays joined by `unnest`."""
        ledger = LedgerEntry.__table__
        if session.get_bind().dialect.name == "postgresql":
            pairs = [(row.id, c.command_id) for c, rows in zip(commands, groups, strict=True) for row in rows]
            await session.execute(text(
                "UPDATE purge_ledger AS l SET state = :state, purge_id = m.purge, issued_at = :at "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:purges AS uuid[])) AS m(id, purge) WHERE l.id = m.id"
            ), {"state": ISSUED, "at": at, "ids": [i for i, _ in pairs], "purges": [p for _, p in pairs]})
            return
        # SQLite (local runs): one statement per entry
        marks = [{"purge": c.command_id, "ids": row.id} for c, rows in zip(commands, groups, strict=True) for row in rows]
        await session.execute(
            update(ledger).where(ledger.c.id == bindparam("ids")).values(state=ISSUED, purge_id=bindparam("purge"), issued_at=at),
            marks,
        )

    @staticmethod
    async def _mark_confirmed(session: AsyncSession, events: list[PurgeCompleted]) -> None:
        """Every category of a purge is answered with a count (0 when the service holds none). On
        PostgreSQL one statement for the batch: each purge's counts (JSON) joined by `unnest`, each
        entry taking its category's count."""
        ledger = LedgerEntry.__table__
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text(
                "UPDATE purge_ledger AS l SET state = :confirmed, confirmed_at = m.at, "
                "count = CAST(m.counts ->> l.category AS integer) "
                "FROM unnest(CAST(:purges AS uuid[]), CAST(:services AS text[]), CAST(:counts AS jsonb[]), "
                "CAST(:ats AS timestamptz[])) AS m(purge, service, counts, at) "
                "WHERE l.purge_id = m.purge AND l.service = m.service AND l.state <> :confirmed"
            ), {
                "confirmed": CONFIRMED, "purges": [e.purge_id for e in events], "services": [e.service for e in events],
                "counts": [json.dumps(e.counts) for e in events], "ats": [e.purged_at for e in events],
            })
            return
        # SQLite (local runs): one statement per category
        mine = [ledger.c.purge_id == bindparam("purge"), ledger.c.service == bindparam("svc"), ledger.c.state != CONFIRMED,
                ledger.c.category == bindparam("cat")]
        rows = [
            {"purge": e.purge_id, "svc": e.service, "cat": category, "n": n, "at": e.purged_at}
            for e in events for category, n in e.counts.items()
        ]
        await session.execute(
            update(ledger).where(*mine).values(state=CONFIRMED, confirmed_at=bindparam("at"), count=bindparam("n")), rows
        )

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
