"""The Casusoverleg's decisions and the execution of its plan (covenant art. 8.4, 13, 1.2).

(a) a Casusregisseur from the participating parties; (b) an integral plan van aanpak, each action
with its responsible party, deadline and information need (c); (d) the criteria for afschaling
and the decision; and the record of attendance, apologies and information supplied. Each party
is told only its own actions and what its role needs. During execution parties report
progress; an action past its deadline is flagged to the Casusregisseur and the Procesregisseur;
a follow-up meeting carries open actions over with why they were not done; a revision is a new
version of the plan and the old one is kept. Afschaling names what retention must cleanse.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.casemeeting.base import Refused
from services.casemeeting.config import SERVICE
from services.casemeeting.models import AFGESCHAALD, DONE, OPEN, Action, MeetingCase
from services.casemeeting.preparation import Preparation
from shared.contracts.casemeeting import (
    ActionOverdueNotice,
    AdoptPlan,
    AppointCasusregisseur,
    CarryOver,
    DecideAfschaling,
    RecordAttendance,
    ReportProgress,
    SetAfschalingCriteria,
    YourActions,
    action_aad,
    meeting_text_aad,
)
from shared.contracts.casemeeting_events import (
    ActionCarriedOver,
    ActionOverdue,
    ActionProgressed,
    AfschalingCriteriaSet,
    AfschalingDecided,
    AttendanceRecorded,
    CasusregisseurAppointed,
    PlanAdopted,
)
from shared.contracts.topics import AFSCHALING_EVENTS, PLAN_OF_ACTION_EVENTS
from shared.retention.categories import HELD_BY, Category
from shared.telemetry.processing import Activity

# What each service keeps about a case that afschaling makes unnecessary (art. 1.2): the retention
# categories it holds, personal ones and its case key. Retention's policy says when and how.
CLEANSE = {
    service: tuple(sorted(c.value for c, held in HELD_BY.items() if service in held and c != Category.CASE_RECORD))
    for service in ("intake", "triage", "casemeeting")
}


class PlanOfAction(Preparation):
    async def record_attendance(self, session: AsyncSession, cmd: RecordAttendance) -> None:
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        invited = {i.party for i in await self.invited(session, meeting.meeting_id)}
        if not set(cmd.present) | set(cmd.apologies) <= invited:
            raise Refused("not_a_participant")
        meeting.present, meeting.apologies = list(cmd.present), list(cmd.apologies)
        meeting.information_supplied = [str(i) for i in cmd.information_supplied]
        await self.fact(
            session, case, AttendanceRecorded, cmd.command_id, meeting_id=meeting.meeting_id,
            present=cmd.present, apologies=cmd.apologies, information_supplied=cmd.information_supplied,
        )

    async def appoint(self, session: AsyncSession, cmd: AppointCasusregisseur) -> None:
        """Art. 8.4a, 13.1: the Casusregisseur comes from a party that took part."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        if cmd.party not in (meeting.present or []):
            raise Refused("not_a_participant")
        case.casusregisseur = cmd.party
        await self.fact(session, case, CasusregisseurAppointed, cmd.command_id, meeting_id=meeting.meeting_id, party=cmd.party)

    async def adopt_plan(self, session: AsyncSession, cmd: AdoptPlan) -> None:
        """Art. 8.4b-c: a new version of the plan; each party hears only its own actions."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        participants = {i.party for i in await self.invited(session, meeting.meeting_id)}
        if any(a.responsible_party not in participants for a in cmd.actions):
            raise Refused("not_a_participant")
        version = (await session.scalar(select(func.max(Action.version)).where(Action.case_id == case.case_id)) or 0) + 1
        fields = ("description", "information_need")
        # The meeting's texts, opened once: stored under the case key, re-sealed for each party.
        texts = {
            (a.action_id, f): self.keys.open_text_from_hub(getattr(a, f), aad=action_aad(a.action_id, f))
            for a in cmd.actions
            for f in fields
        }
        for a in cmd.actions:
            sealed = {
                f: await self.keys.seal_for_case(session, case.case_id, f"action:{a.action_id}:{f}", texts[(a.action_id, f)])
                for f in fields
            }
            session.add(Action(
                case_id=case.case_id, version=version, meeting_id=meeting.meeting_id, action_id=a.action_id,
                responsible_party=a.responsible_party, deadline=a.deadline, status=OPEN, carried_over=[], **sealed,
            ))
        await self.fact(
            session, case, PlanAdopted, cmd.command_id, topic=PLAN_OF_ACTION_EVENTS, meeting_id=meeting.meeting_id,
            version=version, actions=tuple((a.action_id, a.responsible_party, a.deadline) for a in cmd.actions),
        )
        for party in sorted({a.responsible_party for a in cmd.actions}):
            own = tuple(
                a.model_copy(update={
                    f: self.keys.seal_text_for_party(party, texts[(a.action_id, f)], aad=action_aad(a.action_id, f))
                    for f in fields
                })
                for a in cmd.actions
                if a.responsible_party == party
            )
            await self.notify(session, party, YourActions(
                producer=SERVICE, correlation_id=case.correlation_id, causation_id=cmd.command_id,
                meeting_id=meeting.meeting_id, plan_version=version, actions=own,
            ), case_id=case.case_id)

    async def set_criteria(self, session: AsyncSession, cmd: SetAfschalingCriteria) -> None:
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        text = self.keys.open_text_from_hub(cmd.criteria, aad=meeting_text_aad(case.case_id, "afschaling_criteria"))
        case.afschaling_criteria = await self.keys.seal_for_case(session, case.case_id, "afschaling_criteria", text)
        await self.fact(session, case, AfschalingCriteriaSet, cmd.command_id, meeting_id=meeting.meeting_id)

    async def current_action(self, session: AsyncSession, case_id: object, action_id: object) -> Action | None:
        return await session.scalar(
            select(Action).where(Action.case_id == case_id, Action.action_id == action_id).order_by(Action.version.desc()).limit(1)
        )

    async def report_progress(self, session: AsyncSession, party: str, msg: ReportProgress) -> None:
        """Art. 13.2-13.3: a party reports on its own action in the current plan."""
        latest = await session.scalar(select(Action).where(Action.action_id == msg.action_id).order_by(Action.version.desc()).limit(1))
        if latest is None or latest.responsible_party != party:
            raise Refused("unknown_action")
        case = await self.case_of(session, latest.case_id)
        current_version = await session.scalar(select(func.max(Action.version)).where(Action.case_id == case.case_id))
        if latest.version != current_version:
            raise Refused("unknown_action")  # dropped by a revision of the plan
        latest.status = msg.status
        await self.fact(
            session, case, ActionProgressed, msg.command_id, topic=PLAN_OF_ACTION_EVENTS,
            action_id=msg.action_id, party=party, status=msg.status,
        )

    async def watch_overdue(self) -> int:
        """An action past its deadline raises an overdue event to the Casusregisseur and Procesregisseur."""
        today, flagged = self.today(), 0
        flagged_cases: list[uuid.UUID] = []
        async with self.unit_of_work() as uow:
            session = uow.session
            latest = (
                select(Action.case_id, func.max(Action.version).label("version")).group_by(Action.case_id).subquery()
            )
            rows = (
                await session.scalars(
                    select(Action)
                    .join(latest, (Action.case_id == latest.c.case_id) & (Action.version == latest.c.version))
                    .where(Action.status != DONE, Action.deadline < today, Action.overdue_notified_at.is_(None))
                    .with_for_update(skip_locked=True, of=Action)
                )
            ).all()
            for action in rows:
                case = await session.get(MeetingCase, action.case_id)
                if case is None or case.status == AFGESCHAALD:
                    continue
                action.overdue_notified_at = self.now()
                await self.fact(
                    session, case, ActionOverdue, topic=PLAN_OF_ACTION_EVENTS, action_id=action.action_id,
                    responsible_party=action.responsible_party, deadline=action.deadline, casusregisseur=case.casusregisseur,
                )
                if case.casusregisseur:
                    await self.notify(session, case.casusregisseur, ActionOverdueNotice(
                        producer=SERVICE, correlation_id=case.correlation_id, action_id=action.action_id,
                        responsible_party=action.responsible_party, deadline=action.deadline,
                    ), case_id=case.case_id)
                flagged += 1
                flagged_cases.append(case.case_id)
            # Flagging a case's overdue action is a processing of it (LDV), recorded with it.
            cases = list(dict.fromkeys(flagged_cases))
            await self.logboek.record_cases(session, "action overdue", Activity.PLAN_VAN_AANPAK, cases)
            await uow.commit()
        return flagged

    async def carry_over(self, session: AsyncSession, cmd: CarryOver) -> None:
        """A follow-up meeting takes over open actions, recording why each was not done (art. 13)."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        for action_id, why in cmd.actions:
            action = await self.current_action(session, case.case_id, action_id)
            if action is None:
                raise Refused("unknown_action")
            if action.status == DONE:
                raise Refused("action_done")
            action.carried_over = [*action.carried_over, {"meeting_id": str(meeting.meeting_id), "why": why}]
            await self.fact(
                session, case, ActionCarriedOver, cmd.command_id, topic=PLAN_OF_ACTION_EVENTS,
                action_id=action_id, to_meeting_id=meeting.meeting_id, why=why,
            )

    async def decide_afschaling(self, session: AsyncSession, cmd: DecideAfschaling) -> None:
        """Art. 8.4d, 1.2: the criteria are met; retention cleanses what is no longer necessary."""
        meeting, case = await self.meeting_and_case(session, cmd.meeting_id)
        if case.afschaling_criteria is None:
            raise Refused("criteria_not_set")
        case.status, case.afgeschaald_at = AFGESCHAALD, self.now()
        participants = tuple(sorted({i.party for i in await self.invited(session, meeting.meeting_id)}))
        await self.fact(
            session, case, AfschalingDecided, cmd.command_id, topic=AFSCHALING_EVENTS, meeting_id=meeting.meeting_id,
            decided_by=cmd.by, cleanse=CLEANSE, parties_informed=participants,
        )
