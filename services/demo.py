"""The main job: four services in one process, partner systems referring cases, the
Procesregisseur judging them, and a report of where everything went.

Each service still has its own broker client, tracer provider and database (SQLite files in the
state folder by default, ZT_STATE_DIR; scripts/demo gives the demo its own); in production each runs on its own with `zorgtafel run <service>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from rich.console import Console
from sqlalchemy import select

from services.catalog import Service, service_module
from services.cli_ops import status_table
from services.cli_security import provision
from services.demo_audit import DEMO_STAFF, show_audit
from services.demo_retention import demo_retention_settings, print_purge, wait_for_purge
from services.intake.config import IntakeSettings
from services.intake.models import Case, Referral
from services.ops_status import status_of
from services.partner import PartnerSystem
from services.procesregisseur import Procesregisseur
from services.triage.models import TriageCase
from shared.calendar import covenant_today
from shared.contracts.aanmelding import ConsentGiven, Indicators, LifeDomain, Person, Professional, ReferralPersonalData
from shared.contracts.staff import StaffCommand
from shared.contracts.topics import (
    AANMELDING_EVENTS,
    AFSCHALING_EVENTS,
    DEAD_LETTER,
    INTAKE_EVENTS,
    MEETING_EVENTS,
    PLAN_OF_ACTION_EVENTS,
    TRIAGE_EVENTS,
)
from shared.contracts.triage import DecisionType, consultation_question_aad
from shared.crypto import MasterKey, Sealed
from shared.runtime import Runtime
from shared.security.acls import party_principal
from shared.security.staff_register import ensure_enrolled
from shared.telemetry.processing import InMemoryProcessingLog
from shared.telemetry.tracing import setup_tracing

# Answers come within a second when the services run in this process; this is for a slow machine.
ANSWER_TIMEOUT_S = 30.0
DEMO_PARTIES = ("politie-oost-brabant", "veilig-thuis-zuidoost-brabant", "ggd-brabant-zuidoost")


def fictional_person(run: str, i: int) -> ReferralPersonalData:
    """Fictional people only, new ones each run: the demo must never carry real personal data."""
    return ReferralPersonalData(
        person=Person(given_name="Demo", family_name=f"Persoon {run}-{i}", date_of_birth=date(2000, 1, i % 28 + 1)),
        situation="Fictieve demo-aanmelding.",
        consent=ConsentGiven(by_person=True, by_guardian=False, recorded_on=covenant_today()),
        professional=Professional(name="Demo Professional", email="demo@example.invalid"),
    )


async def run_demo(count: int, console: Console) -> int:
    spans, records = InMemorySpanExporter(), InMemoryProcessingLog()
    runtimes: dict[Service, Runtime] = {
        s: service_module(s).create_runtime(
            demo_retention_settings() if s == Service.retention else None, span_exporter=spans, processing_log=records
        )
        for s in Service
    }
    intake, triage = runtimes[Service.intake], runtimes[Service.triage]
    settings = intake.settings
    assert isinstance(settings, IntakeSettings)
    prefix = settings.topic_prefix
    master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
    # As the operator would first: the environment's topics, credentials and ACLs (as zt-admin),
    # and the demo's Procesregisseur enrolled in the staff register (zorgtafel staff enrol pr-demo).
    await provision(settings)
    ensure_enrolled(settings.staff_register_file(), settings.staff_key_file(DEMO_STAFF), DEMO_STAFF, ("procesregisseur",),
          now=datetime.now(UTC), valid_for=timedelta(days=1))
    partners = [PartnerSystem.local(p, settings.kafka_access(party_principal(p)), master, prefix) for p in DEMO_PARTIES]
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    partner_traces = setup_tracing(
        "partner-systems (demo)", otlp_endpoint=settings.otlp_endpoint, otlp_traces_endpoint=settings.otlp_traces_endpoint
    )
    partner_tracer = partner_traces.get_tracer("zorgtafel.demo.partners")

    async with contextlib.AsyncExitStack() as stack:
        for runtime in runtimes.values():
            await stack.enter_async_context(runtime.app())
        for partner in partners:
            await stack.enter_async_context(partner)
        console.print("[bold]services started:[/] " + ", ".join(s.value for s in Service))
        # Inbox topics outlive a demo run: remember where this run starts in each.
        already = {p.party: len(await p.read_inbox()) for p in partners}

        references = []
        for i in range(count):
            partner = partners[i % len(partners)]
            reference = f"DEMO-{run}-{i + 1}"
            references.append((partner, reference))
            # The partner system's own span: the hub continues its trace (W3C traceparent header).
            with partner_tracer.start_as_current_span(f"{partner.party} publishes a referral", kind=SpanKind.PRODUCER):
                await partner.send(
                    partner.referral(
                        reference,
                        fictional_person(run, i + 1),
                        municipality="gemeente-helmond" if i % 2 else "gemeente-oss",
                        indicators=Indicators(
                            serious_local_safety_problem=True,
                            several_chains_needed=True,
                            life_domains=(LifeDomain.SAFETY, LifeDomain.HOUSING),
                        ),
                        urgency="urgent" if i == 0 else "regular",
                    )
                )
        await partners[0].send_raw(b"{ this is not json")  # lands in the dead-letter topic; nothing stops
        console.print(f"partner systems sent {count} referral(s) and 1 malformed message")

        cases = await _wait(lambda: _cases(intake, [r for _, r in references]), count)
        # The Procesregisseur accepts every referral but the last, which shows a decline.
        declined = references[-1][1] if count > 1 else None
        try:
            async with Procesregisseur(settings, DEMO_STAFF) as pr:
                for reference, case in cases.items():
                    if reference == declined:
                        await _carried_out(pr, pr.decline(case.case_id, "Demo: één keten volstaat (criterium C)."))
                    else:
                        await _carried_out(pr, pr.accept(case.case_id))
            expected_triage = count - 1 if declined else count
            triaged = await _wait(lambda: _triaged(triage, [c.case_id for c in cases.values()]), expected_triage)
            inboxes = await _wait(lambda: _outcomes(partners, references), count)
            first = cases[references[0][1]].case_id
            await _triage_first_case(settings, first, partners, console)
            await _casusoverleg(settings, first, partners, console)
        except NotCarriedOutError as exc:
            console.print(f"[red]the story stops: {exc}[/]")
            return 1
        purged = await wait_for_purge(runtimes[Service.retention], first)
        partner_traces.force_flush()
        audited = await show_audit(settings, list(runtimes.values()), first, console)
        await asyncio.sleep(1)  # the last notices leave through the outboxes
        inboxes = {p.party: await p.read_inbox() for p in partners}
        triaged = await _triaged(triage, [c.case_id for c in cases.values()])
        cases = await _cases(intake, [r for _, r in references])
        status = await status_of(list(runtimes.values()))  # what `zorgtafel ops status` shows

    for partner, reference in references:
        case = cases.get(reference)
        console.print(f"[bold]{reference}[/] from {partner.party}")
        seen = triaged.get(case.case_id) if case else None
        triage_text = f"{seen.status}, criteria {(seen.evaluation or {}).get('qualifies')}" if seen else "-"
        console.print(f"  case {case.case_id if case else '-'}; intake: {case.status if case else '-'}; triage: {triage_text}")
    console.print("[bold]what each party's inbox received in this run[/] (texts sealed for that party only)")
    for party, notices in inboxes.items():
        console.print(f"  {party}:")
        for notice in notices[already[party]:]:
            console.print(f"    {notice['event_type']} {_detail(notice)}")
    console.print("[bold]where to look[/]")
    console.print(f"  referral events:   {AANMELDING_EVENTS.named(prefix)}")
    console.print(f"  intake decisions:  {INTAKE_EVENTS.named(prefix)}")
    console.print(f"  triage events:     {TRIAGE_EVENTS.named(prefix)}")
    console.print(f"  casusoverleg:      {MEETING_EVENTS.named(prefix)}, {PLAN_OF_ACTION_EVENTS.named(prefix)}")
    console.print(f"  afschaling:        {AFSCHALING_EVENTS.named(prefix)}")
    console.print(f"  partner inboxes:   {prefix}zorgtafel.partner.<party>.inbox.v1")
    console.print(f"  dead letters:      {DEAD_LETTER.named(prefix)} (reason and origin in zt-dlq-* headers)")
    console.print(f"  databases:         {', '.join(r.database.url.split('///')[-1] for r in runtimes.values())}")
    console.print("  broker log:        .local/kafka/broker.log   (deploy/kafka/kafka.sh logs)")
    # The demo's own databases (scripts/demo sets DATABASE_URL): the commands need it too.
    given = f"DATABASE_URL={settings.database_url} " if "database_url" in settings.model_fields_set else ""
    console.print(f"  retention:         {given}zorgtafel retention status")
    print_purge(first, purged, console)
    console.print(status_table(status))
    return 0 if len(cases) == count and len(triaged) == expected_triage and purged and audited else 1


async def _triage_first_case(
    settings: IntakeSettings, case_id: uuid.UUID, partners: list[PartnerSystem], console: Console
) -> set[str]:
    """Triage of the first referral: two parties consulted, both answer, on to a Casusoverleg."""
    referrer, *consulted = partners
    question = "Is betrokkene bij u bekend, en op welke leefgebieden speelt iets?"
    consultation_ids: set[str] = set()
    async with Procesregisseur(settings, DEMO_STAFF) as pr:
        await _carried_out(pr, pr.consult(case_id, [p.party for p in consulted], question))
        for partner, domain in zip(consulted, (LifeDomain.FAMILY_AND_PARENTING, LifeDomain.MENTAL_HEALTH), strict=True):
            requests = await _wait(lambda p=partner: _requests_about(p, case_id), 1)
            consultation_id = uuid.UUID(requests[0]["consultation_id"])
            consultation_ids.add(str(consultation_id))
            text = partner.open(Sealed(**requests[0]["question"]), aad=consultation_question_aad(consultation_id))
            console.print(f"  {partner.party} read the question sealed for it: {text!r}")
            await partner.send(partner.answer_consultation(
                consultation_id, "Demo-antwoord.", Indicators(several_chains_needed=True, life_domains=(domain,))
            ))
            console.print(f"  {partner.party} answered (sealed), with its view of the Bijlage 2 criteria")
        await asyncio.sleep(1)  # let triage evaluate both answers before deciding
        await _carried_out(pr, pr.to_casusoverleg(
            case_id, goal="Demo: veilige opvang en een plan van aanpak.", themes=("veiligheid", "huisvesting"),
            decision_types=(DecisionType.APPOINT_CASUSREGISSEUR, DecisionType.PLAN_VAN_AANPAK),
            invite=[p.party for p in partners],
        ))
    console.print(f"  triage routed case {case_id} to a Casusoverleg; the referrer is told on its inbox")
    return consultation_ids


async def _casusoverleg(settings: IntakeSettings, case_id: uuid.UUID, partners: list[PartnerSystem], console: Console) -> None:
    """The first case at the Casusoverleg: invitations, a refused and a granted consent, the plan,
    and afschaling."""
    police, veilig_thuis, ggd = partners
    await asyncio.sleep(1)  # casemeeting prepares the case from triage's decision
    async with Procesregisseur(settings, DEMO_STAFF) as pr:
        schedule = pr.schedule(case_id, datetime.now(UTC) + timedelta(days=7))
        await _carried_out(pr, schedule)
        meeting_id = schedule.meeting_id
        await _carried_out(pr, pr.invite(meeting_id, [p.party for p in partners]))
        invitations = {}
        for p in partners:
            invitation = (await _wait(lambda p=p: _notices(p, "meeting.invitation"), 1))[-1]
            invitations[p.party] = uuid.UUID(invitation["invitation_id"])
            await p.send(p.respond(invitations[p.party], attending=True))
        console.print(f"  Casusoverleg {meeting_id} scheduled; {', '.join(invitations)} invited and attending")
        item = police.supply(invitations[police.party], "Demo: informatie van de politie.")
        await police.send(item)
        await asyncio.sleep(1)
        await _carried_out(pr, pr.share_beforehand(meeting_id, [item.item_id]))
        requests = await _wait(lambda: _notices(police, "meeting.consent-request"), 2)
        for request in requests[-2:]:
            granted = request["recipient"] == ggd.party
            await police.send(police.consent(uuid.UUID(request["consent_id"]), granted=granted))
            console.print(f"  police {'grants' if granted else 'refuses'} sharing its item with {request['recipient']}")
        await _wait(lambda: _notices(ggd, "meeting.pre-read"), 1)
        console.print(f"  {ggd.party} received the pre-read; {veilig_thuis.party} did not (no consent)")
        await _carried_out(pr, pr.attendance(meeting_id, present=[p.party for p in partners], supplied=[item.item_id]))
        await _carried_out(pr, pr.appoint(meeting_id, veilig_thuis.party))
        deadline = covenant_today() + timedelta(days=30)
        await _carried_out(pr, pr.adopt_plan(meeting_id, [
            pr.action(ggd.party, deadline, "Demo: medische intake.", "Demo: contactgegevens opvang."),
            pr.action(police.party, deadline, "Demo: aangifte opnemen.", "Demo: geen."),
        ]))
        await _wait(lambda: _notices(ggd, "meeting.your-actions"), 1)
        console.print(f"  plan van aanpak adopted; Casusregisseur {veilig_thuis.party}; each party got only its own actions")
        await _carried_out(pr, pr.afschaling_criteria(case_id, meeting_id, "Demo: veilig gehuisvest en in zorg."))
        await _carried_out(pr, pr.afschaling(meeting_id))
    console.print("  afschaling decided: zorgtafel.afschaling.events.v1 names what each service must cleanse")


class NotCarriedOutError(RuntimeError):
    """A command of the demo's Procesregisseur was refused, or not answered: what follows would not hold."""


async def _carried_out(pr: Procesregisseur, command: StaffCommand) -> None:
    """Send a staff command and wait for the hub's answer, so the story tells what the hub did
    rather than what was sent (issue 14). Raises NotCarriedOutError with the reason code."""
    answer = await pr.carry_out(command, ANSWER_TIMEOUT_S)
    if answer is None or answer.outcome != "carried_out":
        raise NotCarriedOutError(f"{command.command_type} {answer.reason if answer else 'was not answered'}")


async def _requests_about(partner: PartnerSystem, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The partner's consultation requests of this run (the question never names the case: the
    demo knows which it asked because they are the newest)."""
    requests = await _notices(partner, "triage.consultation-request")
    return requests[-1:] if requests else []


async def _notices(partner: PartnerSystem, event_type: str) -> list[dict[str, Any]]:
    return [n for n in await partner.read_inbox() if n["event_type"] == event_type]


def _detail(notice: dict[str, Any]) -> str:
    """What a notice says, in a few words and without its sealed texts."""
    if "status" in notice or "outcome" in notice:
        return str(notice.get("status") or notice.get("outcome"))
    if "recipient" in notice:
        return f"may {notice['recipient']} read item {str(notice['item_id'])[:8]}?"
    if "supplied_by" in notice:
        return f"item {str(notice['item_id'])[:8]} from {notice['supplied_by']}"
    if "actions" in notice:
        return f"{len(notice['actions'])} action(s) of its own, plan version {notice['plan_version']}"
    if "scheduled_at" in notice:
        return f"for {notice['scheduled_at'][:16]}"
    if "answer_before" in notice:
        return f"answer before {notice['answer_before'][:10]}"
    return ""


async def _cases(intake: Runtime, references: list[str]) -> dict[str, Case]:
    async with intake.database.sessions() as s:
        rows = (
            await s.execute(
                select(Referral.referrer_reference, Case)
                .join(Case, Case.case_id == Referral.case_id)
                .where(Referral.referrer_reference.in_(references))
            )
        ).all()
    return {reference: case for reference, case in rows}


async def _triaged(triage: Runtime, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, TriageCase]:
    async with triage.database.sessions() as s:
        rows = (await s.scalars(select(TriageCase).where(TriageCase.case_id.in_(case_ids)))).all()
    return {c.case_id: c for c in rows}


async def _outcomes(partners: list[PartnerSystem], references: list[tuple[PartnerSystem, str]]) -> dict[str, list[Any]]:
    """Each party's inbox, once it holds an outcome for every referral of the demo (else partial)."""
    inboxes = {p.party: await p.read_inbox() for p in partners}
    told = {
        n["referrer_reference"] for notices in inboxes.values() for n in notices if n["event_type"] == "intake.referral-outcome"
    }
    return inboxes if all(r in told for _, r in references) else {}


async def _wait(probe: Any, expected: int, timeout_s: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await probe()
        if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)
