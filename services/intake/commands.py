"""Commands to intake on zorgtafel.intake.commands.v1.

- The Procesregisseur's judgement of a referral, with the referring party (art. 12.2a): accept
  for triage, decline with a reason the referrer reads, or first ask the referrer a question.
- Changes to the register of parties (art. 20, 21.3, 23.2).

A command that cannot be carried out (unknown case, case already decided) is answered with
`IntakeCommandRefused` on the intake events topic, so the issuing tool can show why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.intake import register_service
from services.intake.config import SERVICE
from services.intake.models import ACCEPTED, DECLINED, RECEIVED, Case, Question
from shared.audit.logboek import Logboek
from shared.calendar import covenant_today
from shared.contracts.envelope import Command, utcnow
from shared.contracts.intake import (
    AcceptReferral,
    AskReferrer,
    DeclineReferral,
    IntakeCommandRefused,
    QuestionAsked,
    QuestionToReferrer,
    ReferralAccepted,
    ReferralDeclined,
    ReferralOutcome,
    decline_aad,
    outcome_aad,
    question_aad,
)
from shared.contracts.register import AdmitParty, ExcludeParty, RecordPartyLeaving
from shared.contracts.topics import INTAKE_EVENTS
from shared.crypto.hub_keys import HubKeys
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore
from shared.telemetry.processing import not_carried_out

Judgement = AcceptReferral | DeclineReferral | AskReferrer
RegisterChange = AdmitParty | RecordPartyLeaving | ExcludeParty


@dataclass
class IntakeCommands:
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    inbox: Inbox
    keys: HubKeys
    register: RegisterStore
    # Records what a judgement discloses to the referrer (NEN 7513), in its transaction.
    logboek: Logboek
    today: Callable[[], date] = covenant_today

    async def judge(self, command: Judgement) -> str | None:
        """Carry out a judgement; returns the refusal reason, or None when done."""
        async with self.unit_of_work() as uow:
            if await self.inbox.seen(uow.session, command.command_id):
                return None
            case = await uow.session.get(Case, command.case_id)
            if case is None:
                refusal: str | None = "unknown_case"
            elif case.status != RECEIVED:
                refusal = "case_already_decided"
            else:
                refusal = None
                if isinstance(command, AskReferrer):
                    await self._ask(uow, case, command)
                else:
                    await self._decide(uow, case, command)
            await self._finish(uow, command, refusal)
            return refusal

    async def change_register(self, command: RegisterChange) -> str | None:
        async with self.unit_of_work() as uow:
            if await self.inbox.seen(uow.session, command.command_id):
                return None
            if isinstance(command, AdmitParty):
                refusal = await register_service.admit(uow.session, self.register, self.outbox, command)
            else:
                refusal = await register_service.end_membership(uow.session, self.register, self.outbox, command)
            await self._finish(uow, command, refusal)
            return refusal

    async def _decide(self, uow: UnitOfWork, case: Case, command: AcceptReferral | DeclineReferral) -> None:
        session = uow.session
        case.decided_at, case.decided_by = utcnow(), command.decided_by
        correlation = case.correlation_id
        reason_for_referrer = None
        if isinstance(command, AcceptReferral):
            case.status = ACCEPTED
            await self.outbox.stage(session, INTAKE_EVENTS, ReferralAccepted(
                case_id=case.case_id, producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
                referrer_party=case.referrer_party, referrer_reference=case.referrer_reference,
                municipality=case.municipality,
                age_group=case.age_group,  # type: ignore[arg-type]
                urgency=case.urgency,  # type: ignore[arg-type]
                indicators=case.indicators, decided_by=command.decided_by,
            ))
        else:
            case.status = DECLINED
            text = self.keys.open_text_from_hub(command.reason, aad=decline_aad(case.case_id))
            case.decline_reason = await self.keys.seal_for_case(session, case.case_id, "decline_reason", text)
            reason_for_referrer = self.keys.seal_text_for_party(
                case.referrer_party, text, aad=outcome_aad(case.referrer_party, case.referrer_reference)
            )
            await self.outbox.stage(session, INTAKE_EVENTS, ReferralDeclined(
                case_id=case.case_id, producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
                referrer_party=case.referrer_party, decided_by=command.decided_by,
            ))
        if await self.register.standing(session, case.referrer_party, self.today()) == "party":
            await self.logboek.deliver(session, case.referrer_party, ReferralOutcome(
                producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
                referrer_reference=case.referrer_reference,
                outcome="accepted" if isinstance(command, AcceptReferral) else "declined",
                reason=reason_for_referrer,
            ), case_id=case.case_id)

    async def _ask(self, uow: UnitOfWork, case: Case, command: AskReferrer) -> None:
        session = uow.session
        text = self.keys.open_text_from_hub(command.question, aad=question_aad(command.question_id))
        session.add(Question(
            question_id=command.question_id, case_id=case.case_id, referrer_party=case.referrer_party,
            asked_by=command.asked_by, asked_at=utcnow(),
            question=await self.keys.seal_for_case(session, case.case_id, "question", text),
        ))
        correlation = case.correlation_id
        await self.outbox.stage(session, INTAKE_EVENTS, QuestionAsked(
            case_id=case.case_id, producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
            question_id=command.question_id, asked_by=command.asked_by, referrer_party=case.referrer_party,
        ))
        await self.logboek.deliver(session, case.referrer_party, QuestionToReferrer(
            producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
            referrer_reference=case.referrer_reference, question_id=command.question_id,
            question=self.keys.seal_text_for_party(case.referrer_party, text, aad=question_aad(command.question_id)),
        ), case_id=case.case_id)

    async def _finish(self, uow: UnitOfWork, command: Command, refusal: str | None) -> None:
        if refusal is not None:
            not_carried_out()  # LDV: a refused request is Unset
            await self.outbox.stage(uow.session, INTAKE_EVENTS, IntakeCommandRefused(
                producer=SERVICE, correlation_id=command.conversation_id,
                causation_id=command.command_id, command_id=command.command_id,
                command_type=command.command_type, reason=refusal,  # type: ignore[arg-type]
            ))
        await self.inbox.record(uow.session, command.command_id)
        await uow.commit()
