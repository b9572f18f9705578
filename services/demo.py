"""The main job: five services in one process, partner systems referring cases, the
Procesregisseur judging them, and a report of where everything went.

Each service still has its own broker client, tracer provider and database (SQLite files in the
state folder by default, ZT_STATE_DIR; scripts/demo gives the demo its own); in production each runs on its own with `zorgtafel run <service>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from rich.console import Console
from sqlalchemy import select

from services.catalog import Service, service_module
from services.cli_ops import status_table
from services.cli_security import provision
from services.demo_audit import DEMO_STAFF, show_audit
from services.demo_case import NotCarriedOutError, carried_out, casusoverleg, triage_first_case, wait_for
from services.demo_retention import demo_retention_settings, print_purge, wait_for_purge
from services.intake.config import IntakeSettings
from services.intake.models import Case, Referral
from services.ops_status import status_of
from services.partner import PartnerSystem
from services.procesregisseur import Procesregisseur
from services.triage.models import TriageCase
from shared.calendar import covenant_today
from shared.contracts.aanmelding import ConsentGiven, Indicators, LifeDomain, Person, Professional, ReferralPersonalData
from shared.contracts.topics import (
    AANMELDING_EVENTS,
    AFSCHALING_EVENTS,
    DEAD_LETTER,
    INTAKE_EVENTS,
    MEETING_EVENTS,
    PLAN_OF_ACTION_EVENTS,
    TRIAGE_EVENTS,
)
from shared.crypto import MasterKey
from shared.runtime import Runtime
from shared.security.acls import party_principal
from shared.security.staff_register import ensure_enrolled
from shared.telemetry.processing import InMemoryProcessingLog
from shared.telemetry.tracing import setup_tracing

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
    # As the operator would first: the environment's topics, credentials and ACLs (as zt-admin),
    # and the demo's Procesregisseur enrolled in the staff register (zorgtafel staff enrol pr-demo).
    # Before any service is built: each one's broker client needs its principal's credential.
    settings = IntakeSettings()
    await provision(settings)
    spans, records = InMemorySpanExporter(), InMemoryProcessingLog()
    runtimes: dict[Service, Runtime] = {
        s: service_module(s).create_runtime(
            demo_retention_settings() if s == Service.retention else None, span_exporter=spans, processing_log=records
        )
        for s in Service
    }
    intake, triage = runtimes[Service.intake], runtimes[Service.triage]
    prefix = settings.topic_prefix
    master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
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

        cases = await wait_for(lambda: _cases(intake, [r for _, r in references]), count)
        # The Procesregisseur accepts every referral but the last, which shows a decline.
        declined = references[-1][1] if count > 1 else None
        try:
            async with Procesregisseur(settings, DEMO_STAFF) as pr:
                for reference, case in cases.items():
                    if reference == declined:
                        await carried_out(pr, pr.decline(case.case_id, "Demo: één keten volstaat (criterium C)."))
                    else:
                        await carried_out(pr, pr.accept(case.case_id))
            expected_triage = count - 1 if declined else count
            triaged = await wait_for(lambda: _triaged(triage, [c.case_id for c in cases.values()]), expected_triage)
            inboxes = await wait_for(lambda: _outcomes(partners, references), count)
            first = cases[references[0][1]].case_id
            await triage_first_case(settings, first, partners, console)
            await casusoverleg(settings, first, partners, console)
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
    console.print(f"  broker log:        {Path(settings.state_dir) / 'kafka' / 'broker.log'}   (deploy/kafka/kafka.sh logs)")
    # The demo's own databases (scripts/demo sets DATABASE_URL): the commands need it too.
    given = f"DATABASE_URL={settings.database_url} " if "database_url" in settings.model_fields_set else ""
    console.print(f"  retention:         {given}zorgtafel retention status")
    print_purge(first, purged, console)
    console.print(status_table(status))
    return 0 if len(cases) == count and len(triaged) == expected_triage and purged and audited else 1


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
