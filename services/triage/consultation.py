"""Consultation of parties during triage (covenant art. 1.15, 12.2b).

The Procesregisseur chooses the relevant parties (only current ones, each once per question);
each receives only the question, sealed for it, with a deadline. A reminder goes out before the
deadline; at the deadline the consultation is recorded as "no answer" and the case goes on. An
answer from a party that was not asked, or for a closed question, is refused with a reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from services.triage.config import SERVICE
from services.triage.models import ANSWERED, ASKED, NO_ANSWER, OPEN, Consultation, TriageCase
from shared.contracts.inbound import MessageAcknowledged
from shared.contracts.rejections import RejectionReason, bounded, reason, reasons_from, unreadable
from shared.contracts.triage import (
    AnswerConsultation,
    ConsultationAnswered,
    ConsultationAnswerRejected,
    ConsultationReminder,
    ConsultationReminderSent,
    ConsultationRequest,
    ConsultationSent,
    ConsultationTimedOut,
    ConsultParties,
    consultation_answer_aad,
    consultation_question_aad,
    triage_text_aad,
)
from shared.contracts.untrusted import parse_untrusted
from shared.crypto import CryptoError
from shared.messaging.inbox import Inbox
from shared.messaging.partner_messages import answer_again, answer_party, answers_collected, scoped_id
from shared.register.gate import admitted, message_id_of
from shared.telemetry.processing import Activity, about, not_carried_out


class Consultations:
    """Consultation use cases of `Triage` (which provides the keys, register, outbox and clock)."""

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
                    ), case.case_id)
            await self._finish(uow, command, refusal)
            return refusal

    async def _consult_refusal(self, session: Any, case: TriageCase | None, command: ConsultParties) -> str | None:
        """Why a consultation cannot be asked (covenant art. 12.2b: current parties, once per
        question, with time to answer), or None."""
        if case is None:
            return "unknown_case"
        if case.status != OPEN:
            return "case_already_decided"
        if command.answer_before is not None and command.answer_before <= self.now():
            return "deadline_passed"  # a party cannot answer before a moment that has gone
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
        message_id = message_id_of(body)
        async with self.unit_of_work() as uow:
            session = uow.session
            # A party's command id is its own (issue 12, case 2): recorded scoped to the party.
            seen_id = scoped_id(party, message_id) if message_id is not None else None
            if message_id is not None and seen_id is not None and await inbox.seen(session, seen_id):
                again = await answer_again(
                    self.messages, self.outbox, session, party, message_id, body, origin,
                    lambda reasons: self._rejection(None, message_id, reasons),
                )
                await uow.commit()
                return again
            gate = {"producer": SERVICE, "party": party, "on": self._today(), "message_id": message_id, "origin": origin}
            if await admitted(session, self.register, self.outbox, **gate):
                with answers_collected() as answers:
                    outcome = await self._answer(session, party, body, message_id)
                if message_id is not None:
                    await self.messages.remember(session, party, message_id, body, origin, answers)
            else:
                outcome = "refused"
            if seen_id is not None:
                await inbox.record(session, seen_id)
            await uow.commit()
            return outcome

    async def _answer(self, session: Any, party: str, body: dict[str, Any], message_id: uuid.UUID | None) -> str:
        try:
            command = parse_untrusted(AnswerConsultation, body)
        except ValidationError as exc:
            return await self._reject_answer(session, party, None, message_id, reasons_from(exc))
        consultation = await session.get(Consultation, command.consultation_id)
        if consultation is None or consultation.party != party:
            # Same reason for "no such question" and "asked of someone else": nothing leaks.
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [reason("consultation_id", "unknown_question")]
            )
        # A cleansed question (retention) is closed too: its case key is gone, nothing can be sealed.
        closed = consultation.status != ASKED or consultation.question is None
        if closed or self.now() >= consultation.answer_before:
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [reason("consultation_id", "consultation_closed")]
            )
        try:
            text = self.keys.open_text_from_party(party, command.answer, aad=consultation_answer_aad(command.consultation_id))
        except CryptoError as exc:
            return await self._reject_answer(
                session, party, command.consultation_id, message_id, [unreadable("answer", exc)]
            )
        case = await session.get(TriageCase, consultation.case_id)
        about(consultation.case_id)
        consultation.answer = await self.keys.seal_for_case(session, case.case_id, "answer", text)
        consultation.assessment = command.assessment.model_dump(mode="json")
        consultation.status, consultation.closed_at = ANSWERED, self.now()
        await self._event(
            session, case, ConsultationAnswered, causation=command.command_id,
            consultation_id=consultation.consultation_id, party=party, after_reminder=consultation.reminded_at is not None,
        )
        await self._evaluate(session, case, causation=command.command_id)
        await answer_party(self.outbox, session, party, MessageAcknowledged.of(SERVICE, command))
        return "answered"

    async def _reject_answer(
        self, session: Any, party: str, consultation_id: uuid.UUID | None, message_id: uuid.UUID | None,
        reasons: list[RejectionReason],
    ) -> str:
        not_carried_out()  # LDV: input handled as invalid is Unset
        await answer_party(self.outbox, session, party, self._rejection(consultation_id, message_id, reasons))
        return "rejected"

    def _rejection(
        self, consultation_id: uuid.UUID | None, message_id: uuid.UUID | None, reasons: list[RejectionReason]
    ) -> ConsultationAnswerRejected:
        return ConsultationAnswerRejected(
            producer=SERVICE, correlation_id=message_id or uuid.uuid4(), causation_id=message_id,
            consultation_id=consultation_id, rejected_message_id=str(message_id) if message_id else None,
            reasons=bounded(reasons),
        )

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
                if now >= c.answer_before:
                    c.status, c.closed_at = NO_ANSWER, now
                    await self._event(session, case, ConsultationTimedOut, consultation_id=c.consultation_id, party=c.party)
                    to_evaluate[case.case_id] = case
                elif c.reminded_at is None:
                    c.reminded_at = now
                    await self._event(session, case, ConsultationReminderSent, consultation_id=c.consultation_id, party=c.party)
                    await self._notify(session, c.party, ConsultationReminder(
                        producer=SERVICE, correlation_id=case.correlation_id, consultation_id=c.consultation_id,
                        answer_before=c.answer_before,
                    ), c.case_id)
                else:
                    continue
                changed += 1
            for case in to_evaluate.values():
                await self._evaluate(session, case)
            # The deadlines' work on each case is a processing of it (LDV), recorded with it.
            touched = list(dict.fromkeys(c.case_id for c in due if c.closed_at == now or c.reminded_at == now))
            await self.logboek.record_cases(session, "consultation deadline", Activity.TRIAGE, touched)
            await uow.commit()
        return changed

