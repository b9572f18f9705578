"""The audit on the real broker and PostgreSQL: durable processing records (LDV), the access log
(NEN 7513), a case's trail, and traces that share their ids with the records (covenant Bijlage 3:
every look into a dossier is logged, so a breach's impact can be determined)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from services.audit.config import AuditSettings
from services.audit.view import access_records, case_audit, processing_records, subject_of
from services.intake.config import IntakeSettings
from shared.contracts.topics import AUDIT_EVENTS, MEETING_EVENTS
from shared.persistence.database import Database
from shared.telemetry.processing import Activity
from tests.e2e.test_casemeeting import DESIGNATED, GGD, PARTIES, inbox_of, meeting_with_three_parties
from tests.e2e.test_delivery_semantics import database_outbox_rows
from tests.e2e.test_retention import to_afschaling
from tests.e2e.test_trace_export import fetch_trace
from tests.infra import ROOT, Infra, Jaeger
from tests.retention_support import personal_purges_confirmed
from tests.support import (
    OTHER_PARTY,
    PARTY,
    SEEDED_VALUES,
    TEST_PARTIES,
    Hub,
    Partner,
    a_referral,
    cli_env,
    events_on,
    eventually,
    read_topic,
    running_hub,
    settings_for,
    zorgtafel,
)

pytestmark = pytest.mark.infra
SERVICES = ("intake", "triage", "casemeeting")


def audit_settings(hub: Hub) -> AuditSettings:
    assert hub.audit is not None
    return hub.audit.settings  # type: ignore[return-value]


async def records_of(hub: Hub, case_id: uuid.UUID, activity: str, at_least_n: int) -> list[dict[str, Any]]:
    """The case's processing records of `activity`, once there are at least `at_least_n`."""
    settings = audit_settings(hub)

    async def found() -> list[dict[str, Any]] | None:
        rows = await processing_records(subject=subject_of(case_id, settings), activity=activity, settings=settings)
        return rows if len(rows) >= at_least_n else None

    return await eventually(found, timeout_s=60)  # type: ignore[no-any-return]


async def test_a_cases_trail_has_every_step_from_referral_to_purge_in_order(infra: Infra, namespace: str) -> None:
    async with running_hub(
        infra, namespace, partner_topics=PARTIES, meeting_overrides={}, retention_overrides={}, audit_overrides={}
    ) as hub, Partner(infra, namespace) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(
        infra, namespace, GGD
    ) as ggd:
        case_id = await to_afschaling(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        await eventually(lambda: personal_purges_confirmed(hub), timeout_s=60)
        await records_of(hub, case_id, Activity.SCHONING, 3)
        env = cli_env(hub)
        shown = await zorgtafel(env, "trail", str(case_id), "--by", "pr-audit", "--json")
        await eventually(lambda: trail_looks(hub, case_id))
        again = await zorgtafel(env, "trail", str(case_id), "--by", "pr-audit", "--json")
        table = await zorgtafel(env, "trail", str(case_id), "--by", "pr-audit")

    assert shown.returncode == 0, shown.stderr[-2000:]
    steps = json.loads(shown.stdout)["steps"]
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    processing = [s for s in steps if s["kind"] == "processing"]
    activities = [s["what"].split(":")[0] for s in processing]
    # No gap and no duplicate: one record per message processed about this case, in the flow's order.
    assert Counter(activities) == {
        "aanmelding": 1, "intake": 1, "triage": 2, "casusoverleg": 8, "plan-van-aanpak": 1, "afschaling": 2,
        "schoning": 3,  # the case record stays until its own term: cleansed, not yet deleted
    }
    first_seen = list(dict.fromkeys(activities))
    assert first_seen == ["aanmelding", "intake", "triage", "casusoverleg", "plan-van-aanpak", "afschaling", "schoning"]
    assert {s["service"] for s in processing if s["what"].startswith("schoning")} == set(SERVICES)
    assert all(s["outcome"] == "Ok" and len(s["trace_id"]) == 32 for s in processing)
    # The trail's first step and the referral's processing share the partner's trace.
    purges = [s for s in steps if s["kind"] == "purge"]
    assert {(s["service"], s["outcome"]) for s in purges} == {(s, "confirmed") for s in SERVICES}
    assert all(s["at"] >= processing[0]["at"] for s in purges)
    disclosures = [s["record"] for s in steps if s["kind"] == "access" and s["record"]["kind"] == "disclosure"]
    assert sorted(d["actor"] for d in disclosures if d["view"] == "meeting.invitation") == sorted(DESIGNATED)
    assert any((d["view"], d["actor"], d["role"]) == ("meeting.your-actions", GGD, "responsible-party") for d in disclosures)
    # The trail is itself a look into the dossier, logged before it is shown.
    later = json.loads(again.stdout)["steps"]
    looks = [s["record"] for s in later if s["kind"] == "access" and s["record"]["kind"] == "trail"]
    assert looks and {(r["actor"], r["actor_type"], r["role"]) for r in looks} == {("pr-audit", "staff", "procesregisseur")}
    assert table.returncode == 0 and "schoning" in table.stdout


async def trail_looks(hub: Hub, case_id: uuid.UUID) -> list[dict[str, Any]]:
    settings = audit_settings(hub)
    return [r for r in await access_records(subject=subject_of(case_id, settings), settings=settings) if r["kind"] == "trail"]


async def test_every_cli_look_and_every_pre_read_has_its_access_record(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES, meeting_overrides={}, audit_overrides={}) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(infra, namespace, GGD) as ggd:
        case_id, meeting_id = await meeting_with_three_parties(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        item = police.supply(uuid.UUID((await inbox_of(police, "meeting.invitation"))[0]["invitation_id"]), "Politie-notitie.")
        await police.send(item)
        await eventually(lambda: events_on(infra, MEETING_EVENTS, namespace, "meeting.information-supplied"))
        async with hub.procesregisseur() as pr:
            await pr.send(pr.share_beforehand(meeting_id, [item.item_id]))
        for request in await inbox_of(police, "meeting.consent-request", 2):
            await police.send(police.consent(uuid.UUID(request["consent_id"]), granted=True))
        await inbox_of(ggd, "meeting.pre-read")
        await inbox_of(vt, "meeting.pre-read")
        env = cli_env(hub)
        looks = [await zorgtafel(env, view, "show", str(case_id), "--by", "pr-looks") for view in ("triage", "meeting")]
        settings = audit_settings(hub)
        subject = subject_of(case_id, settings)

        async def complete() -> list[dict[str, Any]] | None:
            rows = await access_records(subject=subject, settings=settings)
            views = [r for r in rows if r["kind"] == "view"]
            reads = [r for r in rows if r["view"] == "meeting.pre-read"]
            return rows if len(views) == 2 and len(reads) == 2 else None

        rows = await eventually(complete, timeout_s=60)

    assert all(look.returncode == 0 for look in looks), [look.stderr[-500:] for look in looks]
    views = [(r["actor"], r["actor_type"], r["role"], r["view"], r["result"], r["actor_check"]) for r in rows if r["kind"] == "view"]
    assert views == [  # signed by pr-looks's own key, checked by the audit service
        ("pr-looks", "staff", "procesregisseur", "triage-state", "success", "verified"),
        ("pr-looks", "staff", "procesregisseur", "meeting-state", "success", "verified"),
    ]
    reads = {r["actor"]: r for r in rows if r["view"] == "meeting.pre-read"}
    assert set(reads) == {GGD, OTHER_PARTY}
    for read in reads.values():
        assert read["kind"] == "disclosure" and read["actor_type"] == "party" and read["role"] == "invited-party"
        assert read["actor_check"] == "hub"
        assert f"item:{item.item_id}" in read["items"] and read["authorisation"].startswith("art. 12.2f")
        assert read["source"] == "casemeeting" and len(read["trace_id"]) == 32
    consents = [r for r in rows if r["view"] == "meeting.consent-request"]
    assert [(r["actor"], r["role"]) for r in consents] == [(PARTY, "supplier")] * 2


async def test_the_audit_store_and_topic_hold_no_personal_value_and_no_case_id(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, audit_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        env = cli_env(hub)
        await zorgtafel(env, "triage", "show", str(case.case_id), "--by", "pr-privacy")
        await records_of(hub, case.case_id, Activity.TRIAGE, 1)
        settings = audit_settings(hub)
        await eventually(lambda: access_records(subject=subject_of(case.case_id, settings), settings=settings))
        database = Database(settings.database_url_for("audit"))
        try:
            async with database.sessions() as s:
                dump = [
                    json.dumps(list(row), default=str)
                    for table in ("processing_record", "access_record")
                    for row in (await s.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608 - fixed names
                ]
        finally:
            await database.dispose()
        on_topic = [(r.key or b"").decode() + r.value.decode() for r in await read_topic(infra, AUDIT_EVENTS, namespace)]

    assert len(dump) >= 4  # aanmelding, intake, triage records and the look
    everything = "\n".join(dump + on_topic)
    for value in (*SEEDED_VALUES, str(case.case_id), case.case_id.hex):
        assert value not in everything


async def test_a_service_killed_before_it_relays_still_yields_exactly_one_record(infra: Infra, namespace: str) -> None:
    settings = settings_for(IntakeSettings, infra, namespace)
    env = {
        **os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "ZT_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol, "DATABASE_URL": settings.database_url,
        "ZT_TOPIC_PREFIX": settings.topic_prefix, "ZT_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "ZT_PARTNER_TOPICS": json.dumps(TEST_PARTIES),
        "ZT_OUTBOX_RELAY_ENABLED": "false",  # the processing commits; the record never leaves before the kill
    }
    intake = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "intake"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    database = Database(settings.database_url_for("intake"))
    try:
        async with Partner(infra, namespace) as partner:
            await partner.submit(a_referral())
        staged = database_outbox_rows(database)  # the event, the acknowledgement and the record
        await eventually(lambda: outbox_holds(staged, 3), timeout_s=60)
    finally:
        intake.send_signal(signal.SIGKILL)
        _, stderr = intake.communicate(timeout=30)
        await database.dispose()
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-2000:]
    assert await events_on(infra, AUDIT_EVENTS, namespace) == []  # nothing left the dead service

    async with running_hub(infra, namespace, audit_overrides={}) as hub:  # the restart, relay on
        (case,) = await eventually(hub.cases)
        (record,) = await records_of(hub, case.case_id, Activity.AANMELDING, 1)
        # The relay publishing twice (a crash between publish and delete) logs nothing twice.
        (published,) = [e for e in await events_on(infra, AUDIT_EVENTS, namespace, "audit.processing-recorded")
                        if e["processing_activity_id"] == Activity.AANMELDING]
        producer = AIOKafkaProducer(**infra.admin().aiokafka())
        await producer.start()
        try:
            await producer.send_and_wait(AUDIT_EVENTS.named(f"{namespace}."), json.dumps(published).encode())
        finally:
            await producer.stop()
        await hub.accept(case.case_id)
        await records_of(hub, case.case_id, Activity.INTAKE, 1)
        audit = await case_audit(case.case_id, audit_settings(hub))

    assert [r["processing_activity_id"] for r in audit["processing"]].count(Activity.AANMELDING) == 1
    assert record["record_id"] == published["event_id"] and record["name"] == "receive from party"


async def outbox_holds(count: Any, n: int) -> bool:
    return int(await count()) >= n


async def test_spans_exported_over_otlp_share_their_ids_with_the_records(infra: Infra, namespace: str, jaeger: Jaeger) -> None:
    async with running_hub(infra, namespace, audit_overrides={}, otlp_endpoint=jaeger.otlp_endpoint) as hub, Partner(
        infra, namespace
    ) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        await records_of(hub, case.case_id, Activity.TRIAGE, 1)
        records = (await case_audit(case.case_id, audit_settings(hub)))["processing"]
        for runtime in (hub.intake, hub.triage):
            runtime.tracer_provider.force_flush()

    assert {r["service"] for r in records} == {"intake", "triage"}
    for record in records:
        trace = fetch_trace(jaeger, record["trace_id"])["data"][0]
        spans = {s["spanID"]: s for s in trace["spans"]}
        assert record["span_id"] in spans, record["name"]
        span = spans[record["span_id"]]
        assert span["operationName"] == record["name"]
        assert trace["processes"][span["processID"]]["serviceName"] == record["service"]
        tags = {t["key"]: t["value"] for t in span["tags"]}
        assert tags["dpl.core.data_subject_id"] == record["data_subject_id"] == subject_of(case.case_id, audit_settings(hub))
