"""Intake of messages from parties: referrals (art. 1.1) and answers to the Procesregisseur (12.2a).

Every message a party sends gets an answer on its inbox topic (received, duplicate, rejected
with reasons) unless it is no party at all, or no longer: then it receives nothing and the
attempt is audited (art. 21.3, 23.2: from that day it may not refer or receive data).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from pydantic import ValidationError

from services.intake import rules
from services.intake.batch_rows import (
    SUBMIT,
    add_case,
    add_referral,
    known_referral,
    may_open,
    open_case_of,
    parsed_before,
    prefetch_submissions,
)
from services.intake.config import SERVICE
from services.intake.correction import CORRECT, apply_correction, parse_correction
from services.intake.matching import match_keys
from services.intake.models import RECEIVED, Question
from services.intake.submission import is_reference, parse_submission
from shared.calendar import covenant_today
from shared.contracts.aanmelding import (
    ReferralPersonalData,
    ReferralReceived,
    personal_aad,
)
from shared.contracts.envelope import Notice, utcnow
from shared.contracts.inbound import INBOUND_OWNERS, MessageAcknowledged
from shared.contracts.intake import (
    AnswerQuestion,
    QuestionAnswered,
    ReferralAcknowledged,
    ReferralCorrected,
    ReferralRejected,
    RepeatReferralLinked,
    answer_aad,
)
from shared.contracts.rejections import RejectionReason, bounded, reason, reasons_from, unreadable
from shared.contracts.topics import AANMELDING_EVENTS, INTAKE_EVENTS
from shared.contracts.untrusted import parse_untrusted
from shared.crypto import CryptoError
from shared.crypto.hub_keys import HubKeys
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.messaging.partner_messages import PartnerMessages, answer_again, answer_party, answers_collected, scoped_id
from shared.messaging.reliability import PoisonMessageError
from shared.persistence.deferred import write_now
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.gate import admitted, message_id_of
from shared.register.store import RegisterStore
from shared.telemetry.processing import about, current_traceparent, not_carried_out

Outcome = Literal[
    "received", "linked", "duplicate", "redelivered", "rejected", "refused", "answered", "corrected", "not_ours"
]
ANSWER = "intake.answer-question"


@dataclass
class Intake:
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    inbox: Inbox
    keys: HubKeys
    register: RegisterStore
    matching_secret: bytes
    # What each party sent under which command id, and how it was answered (issue 12, case 2).
    messages: PartnerMessages
    # The covenant's day (Europe/Amsterdam): ages, consent dates, the register's effective dates.
    today: Callable[[], date] = covenant_today
    now: Callable[[], datetime] = utcnow

    async def prefetch(self, messages: Sequence[tuple[str, dict[str, Any], tuple[str, int, int]]]) -> None:
        """Ask once for a batch of (party, body, origin) what its messages will ask in their turns
        (issue 13): which were processed before and, for the referrals a turn would open, the
        references taken and their persons' open cases. Runs in the batch's transaction
        (shared/messaging/batched.py), which forgets the answers when it ends."""
        async with self.unit_of_work() as uow:
            await self.inbox.prefetch(uow.session, [
                scoped_id(party, m) for party, body, _ in messages if (m := message_id_of(body)) is not None
            ])
            await prefetch_submissions(
                uow.session, messages, self._parsed, self.matching_secret,
                partial(may_open, uow.session, self.inbox, self.register, self.today()),
            )

    async def receive(self, party: str, body: Any, origin: tuple[str, int, int]) -> tuple[Outcome, uuid.UUID | None]:
        """One message from a party's inbound topic, in its own unit of work (in a batch, the
        batch's: shared/persistence/unit_of_work.py). Returns what became of it and its case, if
        any. Raises PoisonMessageError for a body that is not a JSON object."""
        async with self.unit_of_work() as uow:
            result = await self.handle(uow, party, body, origin)
            await uow.commit()
        return result

    async def handle(
        self, uow: UnitOfWork, party: str, body: Any, origin: tuple[str, int, int]
    ) -> tuple[Outcome, uuid.UUID | None]:
        """One message within `uow`'s transaction (never commits). Art. 1.1 (a referral), 12.2a
        (an answer to the Procesregisseur), Bijlage 3 (a correction); art. 21.3 and 23.2 (no
        longer a party: refused, audited)."""
        if not isinstance(body, dict):
            raise PoisonMessageError("undecodable", "body is not a JSON object")
        if INBOUND_OWNERS.get(str(body.get("command_type")), SERVICE) != SERVICE:
            return "not_ours", None  # another service answers it, and audits it if need be
        message_id = message_id_of(body)  # the party's own command id
        seen_id = scoped_id(party, message_id) if message_id is not None else None
        if message_id is not None and seen_id is not None and await self.inbox.seen(uow.session, seen_id):
            again = await answer_again(
                self.messages, self.outbox, uow.session, party, message_id, body, origin,
                lambda reasons: self._rejection(body, message_id, reasons),
            )
            return again, None
        gate = {"producer": SERVICE, "party": party, "on": self.today(), "message_id": message_id, "origin": origin}
        if not await admitted(uow.session, self.register, self.outbox, **gate):
            return await self._done(uow, seen_id, ("refused", None))
        with answers_collected() as answers:
            kind = body.get("command_type")
            if kind != SUBMIT:
                # Answers and corrections read cases and referrals through the ORM: an earlier
                # message of the batch may hold some (services/intake/batch_rows.py).
                await write_now(uow.session)
            if kind == SUBMIT:
                result = await self._submit(uow, party, body, message_id)
            elif kind == ANSWER:
                result = await self._answer(uow, party, body, message_id)
            elif kind == CORRECT:
                result = await self._correct(uow, party, body, message_id)
            else:
                result = await self._reject(uow, party, body, message_id, [reason("command_type", "unknown_message_type")])
            if message_id is not None:
                await self.messages.remember(uow.session, party, message_id, body, origin, answers)
        return await self._done(uow, seen_id, result)

    def _parsed(self, party: str, body: dict[str, Any]) -> Any:
        return parse_submission(
            body, lambda c: self.keys.open_from_party(party, c.personal, ReferralPersonalData, aad=personal_aad(c.command_id))
        )

    async def _submit(
        self, uow: UnitOfWork, party: str, body: dict[str, Any], message_id: uuid.UUID | None
    ) -> tuple[Outcome, uuid.UUID | None]:
        session = uow.session
        parsed = parsed_before(session, body) or self._parsed(party, body)
        if isinstance(parsed, list):
            return await self._reject(uow, party, body, message_id, parsed)
        command, personal = parsed
        on = self.today()
        problems = rules.issued_at_reasons(command.issued_at, self.now()) + rules.referral_reasons(
            personal, command.municipality, await self.register.municipalities(session, on), on
        )
        if problems:
            return await self._reject(uow, party, body, message_id, problems)

        known = await known_referral(session, party, command.referrer_reference)
        if known is not None:
            await self._notify(uow, party, ReferralAcknowledged(
                producer=SERVICE, correlation_id=command.command_id, causation_id=command.command_id,
                referrer_reference=command.referrer_reference, status="duplicate",
            ))
            return "duplicate", known

        keys = match_keys(self.matching_secret, personal.person)
        open_case = await open_case_of(session, keys)
        correlation = command.conversation_id
        referral_id = uuid.uuid4()
        if open_case is not None:
            (case_id, open_bsn), outcome = open_case, "linked"
            matched_on = "bsn" if "bsn" in keys and open_bsn == keys["bsn"] else "name_and_date_of_birth"
            await self._stage(uow, INTAKE_EVENTS, RepeatReferralLinked(
                case_id=case_id, producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
                referral_id=referral_id, referrer_party=party, matched_on=matched_on,
            ))
        else:
            case_id, outcome = uuid.uuid4(), "received"
            await add_case(
                session, case_id=case_id, correlation_id=correlation, status=RECEIVED, referrer_party=party,
                referrer_reference=command.referrer_reference, municipality=command.municipality,
                age_group=rules.age_group(personal.person.date_of_birth, on), urgency=command.urgency,
                indicators=command.indicators.model_dump(mode="json"), match_bsn=keys.get("bsn"),
                match_name=keys["name_and_date_of_birth"], opened_at=utcnow(), trace_parent=current_traceparent(),
            )
            await self._stage(uow, AANMELDING_EVENTS, ReferralReceived(
                case_id=case_id, producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
                referrer_party=party, urgency=command.urgency,
            ))
        sealed = await self.keys.seal_for_case(session, case_id, "personal", personal, new_case=outcome == "received")
        await add_referral(
            session, referral_id=referral_id, case_id=case_id, referrer_party=party,
            referrer_reference=command.referrer_reference, linked_as_repeat=outcome == "linked",
            personal=sealed, received_at=utcnow(),
        )
        # The referrer hears "received" either way: whether the person is known already is not
        # its business (need to know); the Procesregisseur hears of the link.
        await self._notify(uow, party, ReferralAcknowledged(
            producer=SERVICE, correlation_id=correlation, causation_id=command.command_id,
            referrer_reference=command.referrer_reference, status="received",
        ))
        return outcome, case_id

    async def _answer(
        self, uow: UnitOfWork, party: str, body: dict[str, Any], message_id: uuid.UUID | None
    ) -> tuple[Outcome, uuid.UUID | None]:
        try:
            command = parse_untrusted(AnswerQuestion, body)
        except ValidationError as exc:
            return await self._reject(uow, party, body, message_id, reasons_from(exc))
        if late := rules.issued_at_reasons(command.issued_at, self.now()):
            return await self._reject(uow, party, body, message_id, late)
        question = await uow.session.get(Question, command.question_id)
        closed = question is None or question.answer is not None or question.question is None  # None: cleansed
        if closed or question.referrer_party != party:
            # Same answer for "no such question" and "not yours": a party learns nothing of others.
            return await self._reject(uow, party, body, message_id, [reason("question_id", "unknown_question")])
        try:
            text = self.keys.open_text_from_party(party, command.answer, aad=answer_aad(command.question_id))
        except CryptoError as exc:
            return await self._reject(uow, party, body, message_id, [unreadable("answer", exc)])
        question.answer = await self.keys.seal_for_case(uow.session, question.case_id, "answer", text)
        question.answered_at = utcnow()
        await self._stage(uow, INTAKE_EVENTS, QuestionAnswered(
            case_id=question.case_id, producer=SERVICE, correlation_id=command.conversation_id,
            causation_id=command.command_id, question_id=question.question_id, referrer_party=party,
        ))
        await self._notify(uow, party, MessageAcknowledged.of(SERVICE, command))
        return "answered", question.case_id

    async def _correct(
        self, uow: UnitOfWork, party: str, body: dict[str, Any], message_id: uuid.UUID | None
    ) -> tuple[Outcome, uuid.UUID | None]:
        """Bijlage 3: the referrer corrects its referral's personal data (services/intake/correction.py)."""
        parsed = parse_correction(self.keys, party, body)
        if isinstance(parsed, list):
            return await self._reject(uow, party, body, message_id, parsed)
        command, personal = parsed
        if late := rules.issued_at_reasons(command.issued_at, self.now()):
            return await self._reject(uow, party, body, message_id, late)
        problems, case, referral = await apply_correction(
            uow.session, self.keys, self.register, self.matching_secret, party, command, personal, self.today()
        )
        if case is None or referral is None:
            return await self._reject(uow, party, body, message_id, problems)
        await self._stage(uow, INTAKE_EVENTS, ReferralCorrected(
            case_id=case.case_id, producer=SERVICE, correlation_id=case.correlation_id, causation_id=command.command_id,
            referral_id=referral.referral_id, referrer_party=party,
        ))
        await self._notify(uow, party, ReferralAcknowledged(
            producer=SERVICE, correlation_id=command.conversation_id, causation_id=command.command_id,
            referrer_reference=command.referrer_reference, status="corrected",
        ))
        return "corrected", case.case_id

    async def _reject(
        self, uow: UnitOfWork, party: str, body: dict[str, Any], message_id: uuid.UUID | None,
        reasons: list[RejectionReason],
    ) -> tuple[Outcome, None]:
        not_carried_out()  # LDV: input handled as invalid is Unset
        await self._notify(uow, party, self._rejection(body, message_id, reasons))
        return "rejected", None

    def _rejection(self, body: dict[str, Any], message_id: uuid.UUID | None, reasons: list[RejectionReason]) -> Notice:
        reference = body.get("referrer_reference")
        return ReferralRejected(
            producer=SERVICE, correlation_id=message_id or uuid.uuid4(), causation_id=message_id,
            referrer_reference=reference if is_reference(reference) else None,
            rejected_message_id=str(message_id) if message_id else None, reasons=bounded(reasons),
        )

    async def _notify(self, uow: UnitOfWork, party: str, notice: Notice) -> None:
        await answer_party(self.outbox, uow.session, party, notice)

    async def _stage(self, uow: UnitOfWork, topic: Any, notice: Notice) -> None:
        await self.outbox.stage(uow.session, topic, notice)

    async def _done(
        self, uow: UnitOfWork, message_id: uuid.UUID | None, result: tuple[Outcome, uuid.UUID | None]
    ) -> tuple[Outcome, uuid.UUID | None]:
        if message_id is not None:
            if result[1] is not None:
                about(result[1])  # the processing's data subject: the case it created, linked or found
            await self.inbox.record(uow.session, message_id)
        return result
