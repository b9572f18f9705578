"""Preparing a Casusoverleg (covenant art. 8.1-8.2, 12.2c-f, 16.2, 9.2).

- A triage decision "to a Casusoverleg" opens the case here with its goal, themes, type of
  decisions and the parties triage designated.
- Only parties that are current and designated for this case can be invited (art. 12.2e).
- Each item of case information records who supplied it and its terms of use (art. 16.2).
  Before the meeting an invited party receives an item only when its supplier agreed to share it
  with that party for this meeting (art. 12.2f, 9.2); without consent it is withheld, and a party
  that is not invited receives nothing about the case.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casemeeting.base import CasemeetingBase, Refused
from services.casemeeting.config import SERVICE
from services.casemeeting.models import (
    ATTENDING,
    DECLINED,
    INVITED,
    PREPARING,
    Consent,
    InformationItem,
    Invitation,
    Meeting,
    MeetingCase,
)
from shared.contracts.casemeeting import (
    AnswerConsentRequest,
    ConsentRequest,
    InvitationToMeeting,
    InviteParties,
    PreRead,
    RespondToInvitation,
    ScheduleMeeting,
    ShareBeforehand,
    SupplyInformation,
    item_aad,
)
from shared.contracts.casemeeting_events import (
    InformationSupplied,
    InvitationAnswered,
    MeetingPrepared,
    MeetingScheduled,
    PartyInvited,
    PreReadConsent,
)
from shared.contracts.envelope import utcnow
from shared.contracts.triage import TriageDecided


class Preparation(CasemeetingBase):
    async def prepare(self, session: AsyncSession, event: TriageDecided) -> bool:
        if event.route != "casusoverleg" or event.meeting is None or await session.get(MeetingCase, event.case_id):
            return False
        # Casemeeting's own key, for the texts it seals itself (items, actions, afschaling criteria).
        await self.keys.store.create(session, event.case_id)
        case = MeetingCase(
            case_id=event.case_id, correlation_id=event.correlation_id, status=PREPARING,
            designated=list(event.meeting.invite), themes=list(event.meeting.themes),
            decision_types=[d.value for d in event.meeting.decision_types],
            # Kept as received: sealed under triage's case key, opaque here and never opened, so it
            # is shredded with triage's key, like the copy on Kafka (art. 1.2, Bijlage 3).
            goal=event.meeting.goal.model_dump(),
        )
        session.add(case)
        await self.fact(
            session, case, MeetingPrepared, event.event_id, designated=tuple(case.designated),
            themes=tuple(case.themes), decision_types=tuple(case.decision_types),
        )
        return True

    async def schedule(self, session: AsyncSession, cmd: ScheduleMeeting) -> None:
        case = await self.case_of(session, cmd.case_id)
        if await session.get(Meeting, cmd.meeting_id):
            return
        count = await session.scalar(select(func.count()).select_from(Meeting).where(Meeting.case_id == case.case_id))
        meeting = Meeting(meeting_id=cmd.meeting_id, case_id=case.case_id, sequence=(count or 0) + 1, scheduled_at=cmd.scheduled_at)
        session.add(meeting)
        await self.fact(
            session, case, MeetingScheduled, cmd.command_id, meeting_id=meeting.meeting_id,
            sequence=meeting.sequence, scheduled_at=cmd.scheduled_at,
        )

    async def meeting_and_case(self, session: AsyncSession, meeting_id: uuid.UUID) -> tuple[Meeting, MeetingCase]:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise Refused("unknown_meeting")
        return meeting, await self.case_of(session, meeting.case_id)

    async def invite(self, session: AsyncSession, cmd: InviteParties) -> None:
        """Art. 12.2e: only parties that may lawfully attend: current, and designated for this case."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        for party in cmd.parties:
            if await self.register.standing(session, party, self.today()) != "party":
                raise Refused("party_not_current")
            if party not in case.designated:
                raise Refused("party_not_designated")
        for party in cmd.parties:
            existing = await session.scalar(
                select(Invitation).where(Invitation.meeting_id == meeting.meeting_id, Invitation.party == party)
            )
            if existing is not None:
                continue
            invitation = Invitation(
                invitation_id=uuid.uuid4(), meeting_id=meeting.meeting_id, case_id=case.case_id, party=party, status=INVITED
            )
            session.add(invitation)
            await self.fact(
                session, case, PartyInvited, cmd.command_id, meeting_id=meeting.meeting_id,
                invitation_id=invitation.invitation_id, party=party,
            )
            await self.notify(session, party, InvitationToMeeting(
                producer=SERVICE, correlation_id=case.correlation_id, causation_id=cmd.command_id,
                invitation_id=invitation.invitation_id, meeting_id=meeting.meeting_id,
                scheduled_at=meeting.scheduled_at, themes=tuple(case.themes),
            ), case_id=case.case_id)

    async def own_invitation(self, session: AsyncSession, party: str, invitation_id: uuid.UUID) -> Invitation:
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None or invitation.party != party:
            raise Refused("unknown_meeting")  # the same answer whether absent or someone else's
        return invitation

    async def respond(self, session: AsyncSession, party: str, msg: RespondToInvitation) -> None:
        invitation = await self.own_invitation(session, party, msg.invitation_id)
        case = await self.case_of(session, invitation.case_id)
        invitation.status = ATTENDING if msg.attending else DECLINED
        await self.fact(
            session, case, InvitationAnswered, msg.command_id, meeting_id=invitation.meeting_id, party=party,
            attending=msg.attending,
        )

    async def supply(self, session: AsyncSession, party: str, msg: SupplyInformation) -> None:
        """An invited party supplies an item and decides how it may be used (art. 16.2)."""
        invitation = await self.own_invitation(session, party, msg.invitation_id)
        case = await self.case_of(session, invitation.case_id)
        if await session.get(InformationItem, msg.item_id):
            return
        text = self.keys.open_text_from_party(party, msg.content, aad=item_aad(msg.item_id))
        session.add(InformationItem(
            item_id=msg.item_id, case_id=case.case_id, supplier=party, terms=msg.terms, supplied_at=utcnow(),
            content=await self.keys.seal_for_case(session, case.case_id, f"item:{msg.item_id}", text),
        ))
        await self.fact(session, case, InformationSupplied, msg.command_id, item_id=msg.item_id, supplied_by=party, terms=msg.terms)

    async def share_beforehand(self, session: AsyncSession, cmd: ShareBeforehand) -> None:
        """Art. 12.2f: ask each supplier, per item and per invited party, before anything is shared."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        items = [await session.get(InformationItem, item_id) for item_id in cmd.item_ids]
        if any(item is None or item.case_id != case.case_id for item in items):
            raise Refused("unknown_item")
        for item in items:
            assert item is not None
            for invitation in await self.invited(session, meeting.meeting_id):
                recipient = invitation.party
                if recipient == item.supplier:
                    continue
                fields = {"meeting_id": meeting.meeting_id, "item_id": item.item_id, "supplier": item.supplier, "recipient": recipient}
                if item.terms == "do_not_share":
                    await self.fact(session, case, PreReadConsent, cmd.command_id, status="withheld_by_terms", **fields)
                    continue
                if await session.scalar(select(Consent.consent_id).where(
                    Consent.item_id == item.item_id, Consent.meeting_id == meeting.meeting_id, Consent.recipient == recipient
                )):
                    continue
                consent = Consent(consent_id=uuid.uuid4(), item_id=item.item_id, meeting_id=meeting.meeting_id, recipient=recipient, status="requested")
                session.add(consent)
                await self.fact(session, case, PreReadConsent, cmd.command_id, status="requested", **fields)
                await self.notify(session, item.supplier, ConsentRequest(
                    producer=SERVICE, correlation_id=case.correlation_id, causation_id=cmd.command_id,
                    consent_id=consent.consent_id, item_id=item.item_id, recipient=recipient, meeting_id=meeting.meeting_id,
                ), case_id=case.case_id)

    async def answer_consent(self, session: AsyncSession, party: str, msg: AnswerConsentRequest) -> None:
        consent = await session.get(Consent, msg.consent_id)
        item = await session.get(InformationItem, consent.item_id) if consent else None
        if consent is None or item is None or item.supplier != party or consent.status != "requested":
            raise Refused("unknown_item")
        case = await self.case_of(session, item.case_id)
        consent.status, consent.answered_at = ("granted" if msg.granted else "refused"), utcnow()
        fields = {"meeting_id": consent.meeting_id, "item_id": item.item_id, "supplier": party, "recipient": consent.recipient}
        await self.fact(session, case, PreReadConsent, msg.command_id, status=consent.status, **fields)
        still_invited = {i.party for i in await self.invited(session, consent.meeting_id)}
        if msg.granted and consent.recipient in still_invited:
            text = await self.keys.open_for_case(session, case.case_id, f"item:{item.item_id}", item.content)
            await self.notify(session, consent.recipient, PreRead(
                producer=SERVICE, correlation_id=case.correlation_id, causation_id=msg.command_id,
                meeting_id=consent.meeting_id, item_id=item.item_id, supplied_by=party,
                content=self.keys.seal_text_for_party(consent.recipient, text, aad=item_aad(item.item_id)),
            ), case_id=case.case_id)


