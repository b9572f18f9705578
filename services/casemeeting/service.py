"""The Casusoverleg's entry points: the triage decision, commands, and messages from parties.

Each runs in one transaction with its inbox record; a refusal becomes a fact for the
Procesregisseur (commands) or a reasoned rejection on the party's inbox (party messages).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from services.casemeeting.base import Refused
from services.casemeeting.config import SERVICE
from services.casemeeting.plan import PlanOfAction
from shared.contracts.casemeeting import (
    AdoptPlan,
    AnswerConsentRequest,
    AppointCasusregisseur,
    CarryOver,
    DecideAfschaling,
    InviteParties,
    MeetingMessageRejected,
    RecordAttendance,
    ReportProgress,
    RespondToInvitation,
    ScheduleMeeting,
    SetAfschalingCriteria,
    ShareBeforehand,
    SupplyInformation,
)
from shared.contracts.casemeeting_events import MeetingCommandRefused
from shared.contracts.envelope import Command
from shared.contracts.inbound import INBOUND_OWNERS, MessageAcknowledged
from shared.contracts.rejections import RejectionReason, bounded, reason, reasons_from, unreadable
from shared.contracts.topics import MEETING_EVENTS
from shared.contracts.triage import TriageDecided
from shared.contracts.untrusted import parse_untrusted
from shared.crypto import CryptoError
from shared.messaging.inbox import Inbox
from shared.messaging.partner_messages import answer_again, answer_party, answers_collected, scoped_id
from shared.register.gate import admitted, message_id_of
from shared.telemetry.processing import not_carried_out

PARTY_MESSAGES: dict[str, type[Command]] = {
    "meeting.respond-to-invitation": RespondToInvitation,
    "meeting.supply-information": SupplyInformation,
    "meeting.answer-consent-request": AnswerConsentRequest,
    "meeting.report-progress": ReportProgress,
}


class Casusoverleg(PlanOfAction):
    async def on_triage_decided(self, inbox: Inbox, event: TriageDecided) -> bool:
        async with self.unit_of_work() as uow:
            if await inbox.seen(uow.session, event.event_id):
                return False
            prepared = await self.prepare(uow.session, event)
            await inbox.record(uow.session, event.event_id)
            await uow.commit()
            return prepared

    async def handle(self, command: Command) -> str | None:
        """A command of the Procesregisseur; returns the refusal reason, or None when done."""
        steps: dict[type[Command], Any] = {
            ScheduleMeeting: self.schedule, InviteParties: self.invite, ShareBeforehand: self.share_beforehand,
            RecordAttendance: self.record_attendance, AppointCasusregisseur: self.appoint, AdoptPlan: self.adopt_plan,
            SetAfschalingCriteria: self.set_criteria, CarryOver: self.carry_over, DecideAfschaling: self.decide_afschaling,
        }
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.command_inbox.seen(session, command.command_id):
                return None
            refusal = None
            try:
                async with session.begin_nested():  # a refusal undoes the command's partial changes
                    await steps[type(command)](session, command)
            except Refused as refused:
                refusal = refused.reason
                not_carried_out()
                await self.outbox.stage(session, MEETING_EVENTS, MeetingCommandRefused(
                    producer=SERVICE, correlation_id=command.conversation_id, causation_id=command.command_id,
                    command_id=command.command_id, command_type=command.command_type, reason=refusal,  # type: ignore[arg-type]
                ))
            await self.command_inbox.record(session, command.command_id)
            await uow.commit()
            return refusal

    async def receive(self, inbox: Inbox, party: str, body: Any, origin: tuple[str, int, int]) -> str:
        """A message on a party's inbound topic; only the Casusoverleg's own types are handled."""
        if not isinstance(body, dict) or INBOUND_OWNERS.get(str(body.get("command_type"))) != SERVICE:
            return "not_ours"
        model = PARTY_MESSAGES[str(body["command_type"])]
        message_id = message_id_of(body)
        async with self.unit_of_work() as uow:
            session = uow.session
            # A party's command id is its own (issue 12, case 2): recorded scoped to the party.
            seen_id = scoped_id(party, message_id) if message_id is not None else None
            if message_id is not None and seen_id is not None and await inbox.seen(session, seen_id):
                again = await answer_again(
                    self.messages, self.outbox, session, party, message_id, body, origin,
                    lambda reasons: self._rejection(message_id, reasons),
                )
                await uow.commit()
                return again
            gate = {"producer": SERVICE, "party": party, "on": self.today(), "message_id": message_id, "origin": origin}
            if not await admitted(session, self.register, self.outbox, **gate):
                outcome = "refused"
            else:
                with answers_collected() as answers:
                    outcome = await self._handle_party_message(session, party, model, body, message_id)
                if message_id is not None:
                    await self.messages.remember(session, party, message_id, body, origin, answers)
            if seen_id is not None:
                await inbox.record(session, seen_id)
            await uow.commit()
            return outcome

    async def _handle_party_message(
        self, session: Any, party: str, model: type[Command], body: dict[str, Any], message_id: uuid.UUID | None
    ) -> str:
        try:
            msg = parse_untrusted(model, body)
            async with session.begin_nested():
                await {
                    RespondToInvitation: self.respond, SupplyInformation: self.supply,
                    AnswerConsentRequest: self.answer_consent, ReportProgress: self.report_progress,
                }[model](session, party, msg)
            await answer_party(self.outbox, session, party, MessageAcknowledged.of(SERVICE, msg))
            return "handled"
        except ValidationError as exc:
            reasons = reasons_from(exc)
        except Refused as refused:
            reasons = [reason("", refused.reason)]
        except CryptoError as exc:
            reasons = [unreadable("content", exc)]
        not_carried_out()  # LDV: input handled as invalid is Unset
        await answer_party(self.outbox, session, party, self._rejection(message_id, reasons))
        return "rejected"

    def _rejection(self, message_id: uuid.UUID | None, reasons: list[RejectionReason]) -> MeetingMessageRejected:
        return MeetingMessageRejected(
            producer=SERVICE, correlation_id=message_id or uuid.uuid4(), causation_id=message_id,
            rejected_message_id=str(message_id) if message_id else None, reasons=bounded(reasons),
        )

