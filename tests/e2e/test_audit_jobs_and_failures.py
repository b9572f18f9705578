"""Processing records for work that no message carries, and for processings that never succeed
(LDV rule 6: every action records whether it succeeded; covenant Bijlage 3)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.audit.view import access_records, processing_records, subject_of
from shared.contracts.audit import ProcessingRecorded
from shared.telemetry.processing import Activity, record_processing
from tests.e2e.test_casemeeting import GGD, PARTIES
from tests.e2e.test_delivery_semantics import ProbeHappened, probe_service, publish_probe
from tests.infra import Infra
from tests.support import Partner, a_referral, eventually, running_hub

pytestmark = pytest.mark.infra


async def test_a_consultations_reminder_and_timeout_are_recorded_as_processings(infra: Infra, namespace: str) -> None:
    deadlines = {"consultation_deadline_s": 3.0, "reminder_before_s": 2.0}
    async with running_hub(infra, namespace, partner_topics=PARTIES, triage_overrides=deadlines, audit_overrides={}) as hub, Partner(
        infra, namespace
    ) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.consult(case.case_id, [GGD], "Is betrokkene bij u bekend?"))
        settings = hub.audit.settings  # type: ignore[union-attr]
        subject = subject_of(case.case_id, settings)  # type: ignore[arg-type]

        async def deadline_records() -> list[dict[str, object]] | None:
            rows = await processing_records(subject=subject, activity=Activity.TRIAGE, settings=settings)  # type: ignore[arg-type]
            found = [r for r in rows if r["name"] == "consultation deadline"]
            return found if len(found) >= 2 else None  # the reminder's run and the timeout's

        records = await eventually(deadline_records, timeout_s=60)
        reminders = [r for r in await access_records(subject=subject, settings=settings) if r["view"] == "triage.consultation-reminder"]  # type: ignore[arg-type]
    assert all(r["status"] == "Ok" and r["data_subject_id"] == subject for r in records)
    (reminder,) = reminders
    assert reminder["actor"] == GGD and reminder["trace_id"] in {r["trace_id"] for r in records}


async def test_a_processing_that_never_succeeds_leaves_an_error_record_when_dead_lettered(infra: Infra, namespace: str) -> None:
    async def broken(runtime, event: ProbeHappened) -> None:  # type: ignore[no-untyped-def]
        with record_processing(runtime.tracer, "probe step", Activity.TRIAGE, runtime.pseudonymizer, event.case_id):
            raise RuntimeError("a bug in the handler")

    runtime = await probe_service(infra, namespace, broken, max_handler_attempts=2, outbox_relay_enabled=False)
    async with runtime.app():
        event = await publish_probe(infra, namespace)

        async def staged() -> list[ProcessingRecorded] | None:
            async with runtime.database.sessions() as s:
                payloads = (await s.scalars(select(runtime.tables.outbox.c.payload))).all()
            found = [ProcessingRecorded.model_validate_json(p) for p in payloads if b"audit.processing-recorded" in p]
            return found or None

        (record,) = await eventually(staged, timeout_s=30)
    assert (record.status, record.name) == ("Error", "probe step")
    assert record.data_subject_id == runtime.pseudonymizer.subject_id(event.case_id)
    assert "a bug" not in json.dumps(record.model_dump(mode="json"))
