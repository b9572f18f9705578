"""Retention's use cases: follow each case's life, start its retention clocks, keep the facts the
yearly report needs (covenant art. 1.2, 11.3d, Bijlage 3).

Every use case runs in one transaction with its inbox record and the events it stages, so a
restart repeats nothing and loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.retention.config import SERVICE
from services.retention.models import PENDING, CaseFact, LedgerEntry, RetentionCase, RightsRequest
from services.retention.schedule import earlier, first_due, opgeschaald_clock, phase_of, plan
from shared.contracts.aanmelding import ReferralReceived
from shared.contracts.casemeeting_events import AfschalingDecided
from shared.contracts.envelope import Event, utcnow
from shared.contracts.intake import ReferralAccepted, ReferralCorrected, ReferralDeclined
from shared.contracts.retention import PhaseEntered
from shared.contracts.topics import RETENTION_EVENTS
from shared.contracts.triage import CaseEscalated, TriageDecided
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.retention.categories import Phase
from shared.retention.policy import RetentionPolicy
from shared.telemetry.processing import Pseudonymizer

# The events whose content retention reads; every other case event only counts as activity.
FOLLOWED: dict[str, type[Event]] = {
    "aanmelding.referral-received": ReferralReceived,
    "intake.referral-accepted": ReferralAccepted,
    "intake.referral-declined": ReferralDeclined,
    "intake.referral-corrected": ReferralCorrected,
    "triage.decided": TriageDecided,
    "triage.case-escalated": CaseEscalated,
    "afschaling.decided": AfschalingDecided,
}


@dataclass
class RetentionBase:
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    policy: RetentionPolicy
    pseudonymizer: Pseudonymizer
    register: RegisterStore
    now: Callable[[], datetime] = field(default=utcnow)

    def case_ref(self, case_id: uuid.UUID) -> str:
        """The pseudonymous reference the ledger and the report facts keep instead of the case id."""
        return self.pseudonymizer.subject_id(case_id)

    async def enter_phase(
        self, session: AsyncSession, case: RetentionCase, phase: Phase, at: datetime, *, restart: bool = False
    ) -> None:
        """Start the phase's clocks. A purge already planned earlier keeps its day; one planned
        later moves forward (the earliest day wins); one issued or done is left as it is. With
        `restart`, the pending purges of this same phase start again from `at`."""
        planned = plan(self.policy, phase, at)
        existing = {
            (e.service, e.category): e
            for e in await session.scalars(select(LedgerEntry).where(LedgerEntry.case_ref == case.case_ref))
        }
        for p in planned:
            entry = existing.get((p.service, p.category.value))
            if entry is None:
                session.add(LedgerEntry(
                    case_ref=case.case_ref, service=p.service, category=p.category.value, action=p.action,
                    phase=phase.value, policy_version=self.policy.policy_version, due_on=p.due_on, state=PENDING,
                ))
            elif entry.state == PENDING and (earlier(entry.due_on, p) or (restart and entry.phase == phase.value)):
                entry.due_on, entry.action, entry.phase = p.due_on, p.action, phase.value
                entry.policy_version = self.policy.policy_version
        case.phase, case.phase_started_at = phase.value, at
        await self.outbox.stage(session, RETENTION_EVENTS, PhaseEntered(
            case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id, phase=phase.value,
            policy_version=self.policy.policy_version, first_due_on=first_due(planned),
        ))


class CaseFollower(RetentionBase):
    async def on_event(self, inbox: Inbox, event: Event) -> str:
        """Activity, report facts and phases from one hub event. Returns what it did."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await inbox.seen(session, event.event_id):
                return "duplicate"
            outcome = await self._apply(session, event)
            await inbox.record(session, event.event_id)
            await uow.commit()
            return outcome

    async def _apply(self, session: AsyncSession, event: Event) -> str:
        case = await session.get(RetentionCase, event.case_id)
        if case is None:
            if type(event) is Event:
                return "unknown_case"  # activity of a case whose data is gone already
            # Topics are not ordered with each other: a decline may arrive before the referral.
            case = RetentionCase(
                case_id=event.case_id, case_ref=self.case_ref(event.case_id), correlation_id=event.correlation_id,
                last_activity_at=event.occurred_at, involved=[],
            )
            session.add(case)
        case.last_activity_at = max(case.last_activity_at, event.occurred_at)
        involved = set(case.involved or [])
        if isinstance(event, ReferralReceived):
            involved.add(event.referrer_party)
        if isinstance(event, TriageDecided) and event.meeting is not None:
            involved.update(event.meeting.invite)
        if involved != set(case.involved or []):
            case.involved = sorted(involved)
        if isinstance(event, ReferralCorrected):
            # Bijlage 3: the correction is one of the person's rights; the ledger keeps that it
            # happened, by whom and when, never what changed.
            session.add(RightsRequest(
                request_id=event.event_id, case_ref=case.case_ref, kind="correction", outcome="carried_out",
                decided_by=f"party:{event.referrer_party}", decided_at=event.occurred_at, confirmations={},
            ))
        fact = await self._record_fact(session, case.case_ref, event)
        running = fact is not None and fact.casusoverleg_at is not None and fact.afgeschaald_at is None
        phase = phase_of(event.event_type, getattr(event, "route", None), casusoverleg_running=running)
        if phase is not None:
            await self.enter_phase(session, case, phase, event.occurred_at)
            return f"phase:{phase.value}"
        if case.phase == Phase.OPGESCHAALD.value:
            return await self._zorgtafel_goes_on(session, case, event)
        return "activity"

    async def _zorgtafel_goes_on(self, session: AsyncSession, case: RetentionCase, event: Event) -> str:
        """An opgeschaald case still worked on at the Zorgtafel: a Casusoverleg after all stops the
        hand-over clock (its afschaling will start one); other activity starts it again."""
        if opgeschaald_clock(event.event_type, getattr(event, "route", None)) == "stop":
            await session.execute(delete(LedgerEntry).where(
                LedgerEntry.case_ref == case.case_ref, LedgerEntry.phase == Phase.OPGESCHAALD.value,
                LedgerEntry.state == PENDING,
            ))
            case.phase, case.phase_started_at = None, None
            return "opschaling_clock_stopped"
        await self.enter_phase(session, case, Phase.OPGESCHAALD, event.occurred_at, restart=True)
        return "opschaling_clock_restarted"

    async def _record_fact(self, session: AsyncSession, case_ref: str, event: Event) -> CaseFact | None:
        """The dates the yearly report counts (art. 11.3d); the first occurrence of each counts."""
        if type(event) is Event:
            return await session.get(CaseFact, case_ref)
        fact = await session.get(CaseFact, case_ref)
        if fact is None:
            fact = CaseFact(case_ref=case_ref)
            session.add(fact)
        if isinstance(event, ReferralReceived) and fact.referred_at is None:
            sector = await session.scalar(
                select(self.register.t.party.c.sector).where(self.register.t.party.c.code == event.referrer_party)
            )
            fact.referred_at, fact.referrer_sector = event.occurred_at, sector or "unknown"
        column = _FACT_COLUMN.get(event.event_type)
        if isinstance(event, TriageDecided):
            column = "casusoverleg_at" if event.route == "casusoverleg" else "not_a_case_at"
        if column and getattr(fact, column) is None:
            setattr(fact, column, event.occurred_at)
        return fact


_FACT_COLUMN: dict[str, str] = {
    "intake.referral-accepted": "accepted_at",
    "intake.referral-declined": "declined_at",
    "triage.case-escalated": "escalated_at",
    "afschaling.decided": "afgeschaald_at",
}


def parse_followed(body: dict[str, Any]) -> Event | None:
    """The typed event for a followed type, a plain case `Event` for any other case event, or
    None for a message about no case. Raises pydantic's ValidationError for a malformed one."""
    model = FOLLOWED.get(str(body.get("event_type")))
    if model is not None:
        return model.model_validate(body)
    if "case_id" not in body:
        return None
    return Event.model_validate(body)
