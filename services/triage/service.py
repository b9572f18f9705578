"""Triage use cases: covenant art. 1.15 (Triage), 12.2b-e and Bijlage 2.

The Procesregisseur consults the relevant parties, the criteria are evaluated on the referrer's
indicators and the answers, and the Procesregisseur routes the case: to a Casusoverleg, not a
Zorgtafel case, or (at any moment of the case's life) up to a Zorg- en Veiligheidshuis.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.triage import criteria, routing
from services.triage.config import SERVICE
from services.triage.consultation import Consultations
from services.triage.models import ANSWERED, OPEN, Consultation, TriageCase
from shared.audit.logboek import Logboek
from shared.calendar import covenant_day
from shared.contracts.aanmelding import Indicators
from shared.contracts.envelope import Command, Notice, utcnow
from shared.contracts.intake import ReferralAccepted, outcome_aad
from shared.contracts.topics import TRIAGE_EVENTS, partner_inbox
from shared.contracts.triage import (
    CaseEscalated,
    CriteriaEvaluated,
    DecideTriage,
    EscalateCase,
    Evidence,
    TriageCaseOpened,
    TriageCommandRefused,
    TriageDecided,
    TriageOutcome,
    triage_text_aad,
)
from shared.crypto.hub_keys import HubKeys
from shared.crypto.sealing import Sealed
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.messaging.partner_messages import PartnerMessages
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.telemetry.processing import about, not_carried_out


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Triage(Consultations):
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    keys: HubKeys
    register: RegisterStore
    command_inbox: Inbox
    regions: Mapping[str, str]
    deadline: timedelta
    reminder_before: timedelta
    # Records disclosures and the scheduled work on cases (deadlines), in their transactions.
    logboek: Logboek
    # What each party sent under which command id, and how it was answered (issue 12, case 2).
    messages: PartnerMessages
    now: Callable[[], datetime] = utc_now

    def _today(self) -> date:
        """The covenant's day (Europe/Amsterdam): the register's dates."""
        return covenant_day(self.now())

    # --- a case arrives ---

    async def open_case(self, inbox: Inbox, event: ReferralAccepted) -> bool:
        """Open a triage case once intake accepted the referral (art. 1.15); False when handled already."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await inbox.seen(session, event.event_id) or await session.get(TriageCase, event.case_id):
                return False
            case = TriageCase(
                case_id=event.case_id, correlation_id=event.correlation_id, referrer_party=event.referrer_party,
                referrer_reference=event.referrer_reference, municipality=event.municipality,
                age_group=event.age_group, urgency=event.urgency,
                indicators=event.indicators.model_dump(mode="json"), status=OPEN, opened_at=utcnow(),
            )
            session.add(case)
            await self.keys.store.create(session, case.case_id)  # triage's own key for this case
            await self._event(session, case, TriageCaseOpened, causation=event.event_id, referrer_party=case.referrer_party)
            await self._evaluate(session, case, causation=event.event_id)
            await inbox.record(session, event.event_id)
            await uow.commit()
            return True

    # --- the decision (Bijlage 2, art. 12.2c-e) ---

    async def decide(self, command: DecideTriage) -> str | None:
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.command_inbox.seen(session, command.command_id):
                return None
            case = await session.get(TriageCase, command.case_id)
            if case is None:
                refusal: str | None = "unknown_case"
            elif case.status != OPEN:
                refusal = "case_already_decided"
            else:
                qualifies = (case.evaluation or {}).get("qualifies", "unknown")
                current = {p.code for p in await self.register.current_parties(session, self._today())}
                invite = command.meeting.invite if command.meeting else ()
                refusal = routing.refusal(command.route, qualifies, command.justification is not None, invite, current)
                if refusal is None:
                    await self._decide(session, case, command, qualifies)
            await self._finish(uow, command, refusal)
            return refusal

    async def _decide(self, session: Any, case: TriageCase, command: DecideTriage, qualifies: str) -> None:
        texts = {"justification": command.justification, "reason": command.reason}
        if command.meeting is not None:
            texts["goal"] = command.meeting.goal
        sealed = {
            field: await self.keys.seal_for_case(
                session, case.case_id, field, self.keys.open_text_from_hub(value, aad=triage_text_aad(case.case_id, field))
            )
            for field, value in texts.items()
            if value is not None
        }
        brief = command.meeting.model_dump(mode="json", exclude={"goal"}) if command.meeting else None
        case.status, case.decided_at, case.decided_by = command.route, self.now(), command.decided_by
        case.decision = {"route": command.route, "criteria": qualifies, "meeting": brief, "texts": sealed}
        # The event carries the goal as stored here, sealed under this case's data key, never the
        # tool's transport-key ciphertext: destroying the key shreds the Kafka copy too (art. 1.2).
        meeting = (
            command.meeting.model_copy(update={"goal": Sealed.model_validate(sealed["goal"])})
            if command.meeting is not None
            else None
        )
        await self._event(
            session, case, TriageDecided, causation=command.command_id, route=command.route,
            decided_by=command.decided_by, criteria=qualifies, justified=command.justification is not None,
            meeting=meeting,
        )
        reason_text = None
        if command.reason is not None:
            reason_text = self.keys.open_text_from_hub(command.reason, aad=triage_text_aad(case.case_id, "reason"))
        await self._tell_referrer(session, case, command, command.route, reason_text)

    async def escalate(self, command: EscalateCase) -> str | None:
        """Opschaling to a Zorg- en Veiligheidshuis: at any moment of the case's life (Bijlage 2)."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.command_inbox.seen(session, command.command_id):
                return None
            case = await session.get(TriageCase, command.case_id)
            house = command.house or (self.regions.get(case.municipality) if case else None)
            if case is None:
                refusal: str | None = "unknown_case"
            elif house is None:
                refusal = "no_house_for_municipality"
            else:
                refusal = None
                case.escalated_to = house
                await self._event(
                    session, case, CaseEscalated, causation=command.command_id, house=house,
                    decided_by=command.decided_by, phase=case.status,
                )
                await self._tell_referrer(session, case, command, "opschaling", None)
            await self._finish(uow, command, refusal)
            return refusal

    # --- plumbing ---

    async def _evaluate(self, session: Any, case: TriageCase, causation: uuid.UUID | None = None) -> None:
        sources: list[criteria.Source] = [
            (Evidence(source="referrer", party=case.referrer_party), Indicators.model_validate(case.indicators))
        ]
        answered = await session.scalars(
            select(Consultation).where(Consultation.case_id == case.case_id, Consultation.status == ANSWERED)
            .order_by(Consultation.closed_at)
        )
        for c in answered:
            sources.append(
                (Evidence(source="answer", party=c.party, consultation_id=c.consultation_id),
                 Indicators.model_validate(c.assessment))
            )
        event = await self._event(session, case, CriteriaEvaluated, causation=causation, **criteria.evaluate(sources))
        case.evaluation = event.model_dump(mode="json", include={"qualifies", "life_domains", "event_id"})

    async def _tell_referrer(self, session: Any, case: TriageCase, command: Command, outcome: str, text: str | None) -> None:
        if await self.register.standing(session, case.referrer_party, self._today()) != "party":
            return  # a party that left or was excluded receives nothing (art. 21.3, 23.2)
        sealed = (
            self.keys.seal_text_for_party(
                case.referrer_party, text, aad=outcome_aad(case.referrer_party, case.referrer_reference)
            )
            if text
            else None
        )
        await self._notify(session, case.referrer_party, TriageOutcome(
            producer=SERVICE, correlation_id=case.correlation_id, causation_id=command.command_id,
            referrer_reference=case.referrer_reference, outcome=outcome, reason=sealed,  # type: ignore[arg-type]
        ), case.case_id)

    async def _event(self, session: Any, case: TriageCase, cls: Any, causation: uuid.UUID | None = None, **fields: Any) -> Any:
        event = cls(case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id, causation_id=causation, **fields)
        about(case.case_id)  # a fact about the case: the processing in progress concerns it
        await self.outbox.stage(session, TRIAGE_EVENTS, event)
        return event

    async def _notify(self, session: Any, party: str, notice: Notice, case_id: uuid.UUID | None = None) -> None:
        """To a party's inbox; with `case_id`, what it discloses of that case goes into the access
        log (NEN 7513, Bijlage 3) in the same transaction."""
        if case_id is None:
            await self.outbox.stage(session, partner_inbox(party), notice)
        else:
            await self.logboek.deliver(session, party, notice, case_id=case_id)

    async def _finish(self, uow: UnitOfWork, command: Command, refusal: str | None) -> None:
        if refusal is not None:
            not_carried_out()  # LDV: a refused request is Unset
            await self.outbox.stage(uow.session, TRIAGE_EVENTS, TriageCommandRefused(
                producer=SERVICE, correlation_id=command.conversation_id, causation_id=command.command_id,
                command_id=command.command_id, command_type=command.command_type, reason=refusal,  # type: ignore[arg-type]
            ))
        await self.command_inbox.record(uow.session, command.command_id)
        await uow.commit()



