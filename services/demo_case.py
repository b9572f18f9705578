"""The demo's first case, step by step: triage with two consultations, then the Casusoverleg
from invitations to afschaling (covenant art. 12.2b-h, 8, 13). Each staff command waits for the
hub's answer, so the story tells what the hub did, not what was sent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

from services.demo_audit import DEMO_STAFF
from services.intake.config import IntakeSettings
from services.partner import PartnerSystem
from services.procesregisseur import Procesregisseur
from shared.calendar import covenant_today
from shared.contracts.aanmelding import Indicators, LifeDomain
from shared.contracts.staff import StaffCommand
from shared.contracts.triage import DecisionType, consultation_question_aad
from shared.crypto import Sealed

# Answers come within a second when the services run in this process; this is for a slow machine.
ANSWER_TIMEOUT_S = 30.0


async def triage_first_case(
    settings: IntakeSettings, case_id: uuid.UUID, partners: list[PartnerSystem], console: Console
) -> set[str]:
    """Triage of the first referral: two parties consulted, both answer, on to a Casusoverleg."""
    referrer, *consulted = partners
    question = "Is betrokkene bij u bekend, en op welke leefgebieden speelt iets?"
    consultation_ids: set[str] = set()
    async with Procesregisseur(settings, DEMO_STAFF) as pr:
        await carried_out(pr, pr.consult(case_id, [p.party for p in consulted], question))
        for partner, domain in zip(consulted, (LifeDomain.FAMILY_AND_PARENTING, LifeDomain.MENTAL_HEALTH), strict=True):
            requests = await wait_for(lambda p=partner: requests_about(p, case_id), 1)
            consultation_id = uuid.UUID(requests[0]["consultation_id"])
            consultation_ids.add(str(consultation_id))
            text = partner.open(Sealed(**requests[0]["question"]), aad=consultation_question_aad(consultation_id))
            console.print(f"  {partner.party} read the question sealed for it: {text!r}")
            await partner.send(partner.answer_consultation(
                consultation_id, "Demo-antwoord.", Indicators(several_chains_needed=True, life_domains=(domain,))
            ))
            console.print(f"  {partner.party} answered (sealed), with its view of the Bijlage 2 criteria")
        await asyncio.sleep(1)  # let triage evaluate both answers before deciding
        await carried_out(pr, pr.to_casusoverleg(
            case_id, goal="Demo: veilige opvang en een plan van aanpak.", themes=("veiligheid", "huisvesting"),
            decision_types=(DecisionType.APPOINT_CASUSREGISSEUR, DecisionType.PLAN_VAN_AANPAK),
            invite=[p.party for p in partners],
        ))
    console.print(f"  triage routed case {case_id} to a Casusoverleg; the referrer is told on its inbox")
    return consultation_ids


async def casusoverleg(settings: IntakeSettings, case_id: uuid.UUID, partners: list[PartnerSystem], console: Console) -> None:
    """The first case at the Casusoverleg: invitations, a refused and a granted consent, the plan,
    and afschaling."""
    police, veilig_thuis, ggd = partners
    await asyncio.sleep(1)  # casemeeting prepares the case from triage's decision
    async with Procesregisseur(settings, DEMO_STAFF) as pr:
        schedule = pr.schedule(case_id, datetime.now(UTC) + timedelta(days=7))
        await carried_out(pr, schedule)
        meeting_id = schedule.meeting_id
        await carried_out(pr, pr.invite(meeting_id, [p.party for p in partners]))
        invitations = {}
        for p in partners:
            invitation = (await wait_for(lambda p=p: notices(p, "meeting.invitation"), 1))[-1]
            invitations[p.party] = uuid.UUID(invitation["invitation_id"])
            await p.send(p.respond(invitations[p.party], attending=True))
        console.print(f"  Casusoverleg {meeting_id} scheduled; {', '.join(invitations)} invited and attending")
        item = police.supply(invitations[police.party], "Demo: informatie van de politie.")
        await police.send(item)
        await asyncio.sleep(1)
        await carried_out(pr, pr.share_beforehand(meeting_id, [item.item_id]))
        requests = await wait_for(lambda: notices(police, "meeting.consent-request"), 2)
        for request in requests[-2:]:
            granted = request["recipient"] == ggd.party
            await police.send(police.consent(uuid.UUID(request["consent_id"]), granted=granted))
            console.print(f"  police {'grants' if granted else 'refuses'} sharing its item with {request['recipient']}")
        await wait_for(lambda: notices(ggd, "meeting.pre-read"), 1)
        console.print(f"  {ggd.party} received the pre-read; {veilig_thuis.party} did not (no consent)")
        await carried_out(pr, pr.attendance(meeting_id, present=[p.party for p in partners], supplied=[item.item_id]))
        await carried_out(pr, pr.appoint(meeting_id, veilig_thuis.party))
        deadline = covenant_today() + timedelta(days=30)
        await carried_out(pr, pr.adopt_plan(meeting_id, [
            pr.action(ggd.party, deadline, "Demo: medische intake.", "Demo: contactgegevens opvang."),
            pr.action(police.party, deadline, "Demo: aangifte opnemen.", "Demo: geen."),
        ]))
        await wait_for(lambda: notices(ggd, "meeting.your-actions"), 1)
        console.print(f"  plan van aanpak adopted; Casusregisseur {veilig_thuis.party}; each party got only its own actions")
        await carried_out(pr, pr.afschaling_criteria(case_id, meeting_id, "Demo: veilig gehuisvest en in zorg."))
        await carried_out(pr, pr.afschaling(meeting_id))
    console.print("  afschaling decided: zorgtafel.afschaling.events.v1 names what each service must cleanse")


class NotCarriedOutError(RuntimeError):
    """A command of the demo's Procesregisseur was refused, or not answered: what follows would not hold."""


async def carried_out(pr: Procesregisseur, command: StaffCommand) -> None:
    """Send a staff command and wait for the hub's answer, so the story tells what the hub did
    rather than what was sent (issue 14). Raises NotCarriedOutError with the reason code."""
    answer = await pr.carry_out(command, ANSWER_TIMEOUT_S)
    if answer is None or answer.outcome != "carried_out":
        raise NotCarriedOutError(f"{command.command_type} {answer.reason if answer else 'was not answered'}")


async def requests_about(partner: PartnerSystem, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The partner's consultation requests of this run (the question never names the case: the
    demo knows which it asked because they are the newest)."""
    requests = await notices(partner, "triage.consultation-request")
    return requests[-1:] if requests else []


async def notices(partner: PartnerSystem, event_type: str) -> list[dict[str, Any]]:
    return [n for n in await partner.read_inbox() if n["event_type"] == event_type]


async def wait_for(probe: Any, expected: int, timeout_s: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await probe()
        if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)
