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

from pydantic import ValidationError
from sqlalchemy import select

from shared.contracts.aanmelding import Indicators
from shared.contracts.envelope import Command, Notice, utcnow
from shared.contracts.intake import InboundRefused, ReferralAccepted
from shared.contracts.rejections import RejectionReason, reason, reasons_from
from shared.contracts.topics import AUDIT_EVENTS, TRIAGE_EVENTS, partner_inbox
from shared.contracts.triage import (
    AnswerConsultation,
    CaseEscalated,
    ConsultationAnswered,
    ConsultationAnswerRejected,
    ConsultationReminder,
    ConsultationReminderSent,
    ConsultationRequest,
    ConsultationSent,
    ConsultationTimedOut,
    ConsultParties,
    CriteriaEvaluated,
    DecideTriage,
    EscalateCase,
    Evidence,
    TriageCaseOpened,
    TriageCommandRefused,
    TriageDecided,
    TriageOutcome,
    consultation_answer_aad,
    consultation_question_aad,
    triage_text_aad,
)
from shared.crypto import CryptoError
from shared.crypto.hub_keys import HubKeys
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from services.triage import criteria, routing
from services.triage.config import SERVICE
from services.triage.models import ANSWERED, ASKED, NO_ANSWER, OPEN, Consultation, TriageCase


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Triage:
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    keys: HubKeys
    register: RegisterStore
    command_inbox: Inbox
    regions: Mapping[str, str]
    deadline: timedelta
    reminder_before: timedelta
    now: Callable[[], datetime] = utc_now

    def _today(self) -> date:
        return self.now().date()

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

    # --- consultation (art. 12.2b) ---

    async def consult(self, command: ConsultParties) -> str | None:
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.command_inbox.seen(session, command.command_id):
                return None
            case = await session.get(TriageCase, command.case_id)
            refusal = await self._consult_refusal(session, case, command)
            if refusal is None and case is not None:
                question = self.keys.open_text_from_hub(command.question, aad=triage_text_aad(case.case_id, "question"))
                now = self.now()
                answer_before = command.answer_before or now + self.deadline
                remind_at = max(now, answer_before - self.reminder_before)
                for party in command.parties:
                    consultation = Consultation(
                        consultation_id=uuid.uuid4(), case_id=case.case_id, question_id=command.question_id,
                        party=party, asked_by=command.asked_by, asked_at=now, answer_before=answer_before,
                        remind_at=remind_at, status=ASKED,
                        question=await self.keys.seal_for_case(session, case.case_id, "question", question),
                    )
                    session.add(consultation)
                    await self._event(
                        session, case, ConsultationSent, causation=command.command_id, question_id=command.question_id,
                        consultation_id=consultation.consultation_id, party=party, answer_before=answer_before,
                        remind_at=remind_at,
                    )
                    # The party gets only the question, sealed for it: no case id, nothing else.
                    await self._notify(session, party, ConsultationRequest(
                        producer=SERVICE, correlation_id=case.correlation_id, causation_id=command.command_id,
                        consultation_id=consultation.consultation_id, answer_before=answer_before,
                        question=self.keys.seal_text_for_party(
                            party, question, aad=consultation_question_aad(consultation.consultation_id)
                        ),
                    ))
            await self._finish(uow, command, refusal)
            return refusal

    async def _consult_refusal(self, session: Any, case: TriageCase | None, command: ConsultParties) -> str | None:
        if case is None:
            return "unknown_case"
        if case.status != OPEN:
            return "case_already_decided"
        for party in command.parties:
            if await self.register.standing(session, party, self._today()) != "party":
                return "party_not_current"
        asked = await session.scalar(
            select(Consultation.party).where(
                Consultation.question_id == command.question_id, Consultation.party.in_(command.parties)
            )
        )
        return "party_already_asked" if asked else None

    async def answer(self, inbox: Inbox, party: str, body: dict[str, Any], origin: tuple[str, int, int]) -> str:
        """An answer on the party's inbound topic. Returns what became of it."""
        message_id = _message_id(body)
        async with self.unit_of_work() as uow:
            session = uow.session
            if message_id is not None and await inbox.seen(session, message_id):
                return "redelivered"
            standing = await self.register.standing(session, party, self._today())
            if standing != "party":
                await self.outbox.stage(session, AUDIT_EVENTS, InboundRefused(
                    producer=SERVICE, correlation_id=message_id or uuid.uuid4(), claimed_party=party,
                    reason=standing, topic=origin[0], partition=origin[1], offset=origin[2],
                ))
                outcome = "refused"
            else:
                outcome = await self._answer(session, party, body, message_id)
            if message_id is not None:
                await inbox.record(session, message_id)
            await uow.commit()
            return outcome

    async def _answer(self, session: Any, party: str, body: dict[str, Any], message_id: uuid.UUID | None) -> str:
        try:
            command = AnswerConsultation.model_validate(body)
        except ValidationError as exc:
            return await self._reject_answer(session, party, None, message_id, reasons_from(exc))
        consultation = await session.get(Consultation, command.consultation_id)
        if consultation is None or consultation.party != party:
            # Same reason for "no such question" and "asked of someone else": nothing leaks.
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [reason("consultation_id", "unknown_question")]
            )
        if consultation.status != ASKED or self.now() >= _aware(consultation.answer_before):
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [reason("consultation_id", "consultation_closed")]
            )
        try:
            text = self.keys.open_text_from_party(party, command.answer, aad=consultation_answer_aad(command.consultation_id))
        except CryptoError:
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [reason("answer", "personal_data_unreadable")]
            )
        case = await session.get(TriageCase, consultation.case_id)
        consultation.answer = await self.keys.seal_for_case(session, case.case_id, "answer", text)
        consultation.assessment = command.assessment.model_dump(mode="json")
        consultation.status, consultation.closed_at = ANSWERED, self.now()
        await self._event(
            session, case, ConsultationAnswered, causation=command.command_id,
            consultation_id=consultation.consultation_id, party=party, after_reminder=consultation.reminded_at is not None,
        )
        await self._evaluate(session, case, causation=command.command_id)
        return "answered"

    async def _reject_answer(
        self, session: Any, party: str, consultation_id: uuid.UUID | None, message_id: uuid.UUID | None,
        reasons: list[RejectionReason],
    ) -> str:
        await self._notify(session, party, ConsultationAnswerRejected(
            producer=SERVICE, correlation_id=message_id or uuid.uuid4(), causation_id=message_id,
            consultation_id=consultation_id, rejected_message_id=str(message_id) if message_id else None,
            reasons=tuple(reasons),
        ))
        return "rejected"

    async def watch_deadlines(self) -> int:
        """Remind before the deadline; at the deadline record "no answer" so the case goes on."""
        now, changed = self.now(), 0
        async with self.unit_of_work() as uow:
            session = uow.session
            due = (
                await session.scalars(
                    select(Consultation)
                    .where(Consultation.status == ASKED, Consultation.remind_at <= now)
                    .order_by(Consultation.answer_before)
                    .limit(500)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            to_evaluate: dict[uuid.UUID, TriageCase] = {}
            for c in due:
                case = await session.get(TriageCase, c.case_id)
                if now >= _aware(c.answer_before):
                    c.status, c.closed_at = NO_ANSWER, now
                    await self._event(session, case, ConsultationTimedOut, consultation_id=c.consultation_id, party=c.party)
                    to_evaluate[case.case_id] = case
                elif c.reminded_at is None:
                    c.reminded_at = now
                    await self._event(session, case, ConsultationReminderSent, consultation_id=c.consultation_id, party=c.party)
                    await self._notify(session, c.party, ConsultationReminder(
                        producer=SERVICE, correlation_id=case.correlation_id, consultation_id=c.consultation_id,
                        answer_before=_aware(c.answer_before),
                    ))
                else:
                    continue
                changed += 1
            for case in to_evaluate.values():
                await self._evaluate(session, case)
            await uow.commit()
        return changed

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
        await self._event(
            session, case, TriageDecided, causation=command.command_id, route=command.route,
            decided_by=command.decided_by, criteria=qualifies, justified=command.justification is not None,
            meeting=command.meeting,
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
            self.keys.seal_text_for_party(case.referrer_party, text, aad=triage_text_aad(case.case_id, "reason"))
            if text
            else None
        )
        await self._notify(session, case.referrer_party, TriageOutcome(
            producer=SERVICE, correlation_id=case.correlation_id, causation_id=command.command_id,
            referrer_reference=case.referrer_reference, outcome=outcome, reason=sealed,  # type: ignore[arg-type]
        ))

    async def _event(self, session: Any, case: TriageCase, cls: Any, causation: uuid.UUID | None = None, **fields: Any) -> Any:
        event = cls(case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id, causation_id=causation, **fields)
        await self.outbox.stage(session, TRIAGE_EVENTS, event)
        return event

    async def _notify(self, session: Any, party: str, notice: Notice) -> None:
        await self.outbox.stage(session, partner_inbox(party), notice)

    async def _finish(self, uow: UnitOfWork, command: Command, refusal: str | None) -> None:
        if refusal is not None:
            await self.outbox.stage(uow.session, TRIAGE_EVENTS, TriageCommandRefused(
                producer=SERVICE, correlation_id=command.conversation_id, causation_id=command.command_id,
                command_id=command.command_id, command_type=command.command_type, reason=refusal,  # type: ignore[arg-type]
            ))
        await self.command_inbox.record(uow.session, command.command_id)
        await uow.commit()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _message_id(body: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(body.get("command_id")))
    except ValueError:
        return None


