"""The main job: four services in one process, demo referrals from partner systems, a report.

Each service still has its own broker client, tracer provider and database (SQLite files under
.local/ by default); in production each runs on its own with `zorgtafel run <service>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from sqlalchemy import select

from shared.contracts.aanmelding import PersonDetails, SubmitReferral
from shared.contracts.topics import AANMELDING_EVENTS, DEAD_LETTER, TRIAGE_EVENTS, partner_inbound
from shared.telemetry.processing import InMemoryProcessingLog
from shared.telemetry.tracing import setup_tracing
from services.cli import Service, service_module
from services.intake.config import IntakeSettings
from services.intake.models import Referral
from services.triage.models import TriageCase


def demo_referrals(count: int, parties: tuple[str, ...]) -> list[tuple[str, SubmitReferral]]:
    """Fictional people only: the demo must never carry real personal data."""
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return [
        (
            parties[i % len(parties)],
            SubmitReferral(
                command_id=uuid.uuid4(),
                issued_at=datetime.now(UTC),
                referrer_reference=f"DEMO-{run}-{i + 1}",
                person=PersonDetails(given_name="Demo", family_name=f"Persoon {i + 1}", date_of_birth=date(2000, 1, 1)),
                situation="Fictieve demo-aanmelding.",
                urgency="urgent" if i == 0 else "regular",
            ),
        )
        for i in range(count)
    ]


async def run_demo(count: int, console: Console) -> int:
    spans = InMemorySpanExporter()
    records = InMemoryProcessingLog()
    runtimes = {s: service_module(s).create_runtime(span_exporter=spans, processing_log=records) for s in Service}
    intake, triage = runtimes[Service.intake], runtimes[Service.triage]
    settings = intake.settings
    assert isinstance(settings, IntakeSettings)
    prefix = settings.topic_prefix
    partner_tracer = setup_tracing("demo-partner-system", exporter=spans).get_tracer("demo")

    async with contextlib.AsyncExitStack() as stack:
        for runtime in runtimes.values():
            await stack.enter_async_context(runtime.app())
        console.print("[bold]services started:[/] " + ", ".join(s.value for s in Service))

        sent = demo_referrals(count, settings.party_codes)
        traces: dict[str, str] = {}
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            for party, referral in sent:
                with partner_tracer.start_as_current_span("partner submits referral") as span:
                    headers = {"content-type": "application/json"}
                    propagate.inject(headers)
                    traces[referral.referrer_reference] = format(span.get_span_context().trace_id, "032x")
                    await producer.send_and_wait(
                        partner_inbound(party).named(prefix),
                        referral.model_dump_json().encode(),
                        headers=[(k, v.encode()) for k, v in headers.items()],
                    )
            # One malformed message, to show that it lands in the dead-letter topic and nothing stops.
            await producer.send_and_wait(
                partner_inbound(settings.party_codes[0]).named(prefix),
                b"{ this is not json",
                headers=[("content-type", b"application/json")],
            )
        finally:
            await producer.stop()
        console.print(f"sent {count} referral(s) and 1 malformed message as partner systems")

        references = [r.referrer_reference for _, r in sent]
        rows = await _wait_for_triage(intake, triage, references, timeout_s=60)

    by_trace: dict[str, set[str]] = {}
    for span in spans.get_finished_spans():
        tid = format(span.context.trace_id, "032x") if span.context else ""
        by_trace.setdefault(tid, set()).add(str(span.resource.attributes.get("service.name")))
    for party, referral in sent:
        ref = referral.referrer_reference
        case_id, status = rows.get(ref, (None, "not yet"))
        console.print(f"[bold]{ref}[/] from {party}")
        console.print(f"  case {case_id or '-'}: intake {'registered' if case_id else '-'}, triage {status}")
        console.print(f"  trace {traces[ref]} spans {', '.join(sorted(by_trace.get(traces[ref], set())))}")
    console.print(f"processing records written (Logboek Dataverwerkingen shape): {len(records.records)}")
    console.print("[bold]where to look[/]")
    console.print(f"  referral events:   {AANMELDING_EVENTS.named(prefix)}")
    console.print(f"  triage events:     {TRIAGE_EVENTS.named(prefix)}")
    console.print(f"  dead letters:      {DEAD_LETTER.named(prefix)} (reason and origin in zt-dlq-* headers)")
    console.print(f"  databases:         {', '.join(r.database.url.split('///')[-1] for r in runtimes.values())}")
    console.print("  broker log:        .local/kafka/broker.log   (deploy/kafka/kafka.sh logs)")
    console.print("  traces:            set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector")
    done = sum(1 for ref in references if ref in rows)
    return 0 if done == count else 1


async def _wait_for_triage(intake, triage, references: list[str], timeout_s: float) -> dict[str, tuple[uuid.UUID, str]]:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        async with intake.database.sessions() as s:
            referrals = (await s.scalars(select(Referral).where(Referral.referrer_reference.in_(references)))).all()
        cases = {r.referrer_reference: r.case_id for r in referrals}
        async with triage.database.sessions() as s:
            triaged = {
                c.case_id: c.status
                for c in (await s.scalars(select(TriageCase).where(TriageCase.case_id.in_(list(cases.values()))))).all()
            }
        rows = {ref: (cid, triaged[cid]) for ref, cid in cases.items() if cid in triaged}
        if len(rows) == len(references) or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.2)
