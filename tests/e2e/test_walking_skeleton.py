"""A referral's walk from a partner system through intake to triage, on real Kafka and PostgreSQL."""

import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.topics import AANMELDING_EVENTS, DEAD_LETTER, INTAKE_EVENTS, TRIAGE_EVENTS
from shared.telemetry.tracing import setup_tracing
from tests.infra import Infra
from tests.support import (
    PARTY,
    Partner,
    a_referral,
    at_least,
    bodies,
    eventually,
    read_topic,
    running_hub,
    someone_else,
)

pytestmark = pytest.mark.infra


async def test_a_referral_flows_from_the_partner_through_intake_to_triage(infra: Infra, namespace: str) -> None:
    referral = a_referral()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(referral)
        (case,) = await hub.accept_all(1)
        (stored,) = await hub.referrals()
    assert (stored.referrer_party, stored.referrer_reference) == (PARTY, referral.referrer_reference)
    assert case.case_id == stored.case_id and case.status == "open" and case.referrer_party == PARTY
    assert (case.municipality, case.age_group) == ("gemeente-helmond", "18+")
    (received,) = bodies(await read_topic(infra, AANMELDING_EVENTS, namespace))
    (accepted,) = [e for e in bodies(await read_topic(infra, INTAKE_EVENTS, namespace))]
    (opened,) = [e for e in bodies(await read_topic(infra, TRIAGE_EVENTS, namespace)) if e["event_type"] == "triage.case-opened"]
    assert received["case_id"] == accepted["case_id"] == opened["case_id"] == str(stored.case_id)
    assert received["causation_id"] == str(referral.command_id)
    assert opened["causation_id"] == accepted["event_id"]
    # One business conversation: every event of the case carries the referral's correlation id.
    assert received["correlation_id"] == accepted["correlation_id"] == opened["correlation_id"]


async def test_one_trace_holds_a_case_from_the_partners_publish_through_triage(infra: Infra, namespace: str) -> None:
    tracer = setup_tracing("outside-the-hub").get_tracer("t")
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        with tracer.start_as_current_span("partner submits") as span:
            await partner.submit(a_referral())
        referral_trace = span.get_span_context().trace_id
        (case,) = await eventually(hub.cases)
        # The Procesregisseur's command continues the case's trace, not the tool's own.
        with tracer.start_as_current_span("procesregisseur accepts") as span:
            await hub.accept(case.case_id)
        tool_trace = span.get_span_context().trace_id
        await eventually(hub.triage_cases)
        await eventually(lambda: at_least(lambda: spans_named(hub, "outbox relay"), 3))
    by_trace = services_by_trace(hub)
    assert by_trace[referral_trace] == {"intake", "triage"}  # partner -> intake; procesregisseur -> intake -> triage
    assert tool_trace not in by_trace
    in_case = {s.name for s in hub.spans.get_finished_spans() if s.context.trace_id == referral_trace}
    assert {"receive from party", "intake.accept-referral", "outbox relay", "open triage case"} <= in_case
    records = [r for r in hub.records.records if r.trace_id == format(referral_trace, "032x")]
    assert {r.service for r in records} == {"intake", "triage"}
    assert len({r.data_subject_id for r in records}) == 1  # the same case, pseudonymised alike


async def spans_named(hub, name):  # type: ignore[no-untyped-def]
    return [s for s in hub.spans.get_finished_spans() if s.name == name]


def services_by_trace(hub) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    out: dict[int, set[str]] = {}
    for s in hub.spans.get_finished_spans():
        out.setdefault(s.context.trace_id, set()).add(str(s.resource.attributes["service.name"]))
    return out


async def test_the_same_message_twice_opens_one_case_and_gets_the_same_answer_twice(infra: Infra, namespace: str) -> None:
    referral = a_referral()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(referral)
        await partner.submit(referral)  # a partner's producer retried: same command id, same content
        await hub.accept_all(1)
        assert len(await hub.referrals()) == 1
        statuses = await eventually(lambda: at_least(lambda: _statuses(partner), 3))
    # The repeat gets the earlier answer again (issue 12, case 2), and nothing else happens.
    assert sorted(statuses, key=str) == ["accepted", "received", "received"]
    assert len(await read_topic(infra, AANMELDING_EVENTS, namespace)) == 1


async def test_the_same_referral_sent_again_is_acknowledged_as_duplicate(infra: Infra, namespace: str) -> None:
    first = a_referral()
    again = a_referral(reference=first.referrer_reference)  # a new message about the same referral
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(first)
        await partner.submit(again)
        notices = await eventually(lambda: at_least(partner.read_inbox, 2))
        assert len(await hub.cases()) == 1 and len(await hub.referrals()) == 1
    assert [(n["referrer_reference"], n["status"]) for n in notices] == [
        (first.referrer_reference, "received"),
        (first.referrer_reference, "duplicate"),
    ]


async def test_a_redelivered_event_opens_no_second_triage_case(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral())
        await hub.accept_all(1)
        (record,) = await read_topic(infra, INTAKE_EVENTS, namespace)
        # Redeliver the very same event bytes, as Kafka does after a consumer crash.
        producer = AIOKafkaProducer(**infra.admin().aiokafka())
        await producer.start()
        await producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))
        await producer.stop()
        await partner.submit(a_referral(personal=someone_else()))
        await eventually(lambda: at_least(hub.cases, 2))
        await hub.accept((await hub.cases())[1].case_id)
        await eventually(lambda: at_least(hub.triage_cases, 2))
        assert len(await hub.triage_cases()) == 2
    opened = [e for e in bodies(await read_topic(infra, TRIAGE_EVENTS, namespace)) if e["event_type"] == "triage.case-opened"]
    assert len(opened) == 2


async def test_unreadable_messages_go_to_the_dead_letter_topic_and_the_next_one_flows(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.send_raw(b"{ not json")
        await partner.send_raw(b'"a JSON string, not an object"')
        await partner.submit(a_referral())
        await hub.accept_all(1)
    dead = await read_topic(infra, DEAD_LETTER, namespace)
    headers = [{k: v.decode() for k, v in r.headers} for r in dead]
    assert [h["zt-dlq-reason"] for h in headers] == ["undecodable", "undecodable"]
    assert [h["zt-dlq-detail"] for h in headers] == ["JSONDecodeError", "body is not a JSON object"]
    for h in headers:
        assert h["zt-dlq-topic"] == Partner(infra, namespace).topic and h["zt-dlq-consumer"] == "intake"
        assert {"zt-dlq-partition", "zt-dlq-offset", "zt-dlq-failed-at"} <= set(h)
    assert dead[0].value == b"{ not json"  # the original bytes, for whoever repairs it


async def test_an_event_type_a_consumer_does_not_know_is_skipped_not_dead_lettered(
    infra: Infra, namespace: str
) -> None:
    future_event = {"event_type": "intake.referral-reopened", "event_id": str(uuid.uuid4())}
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        producer = AIOKafkaProducer(**infra.admin().aiokafka())
        await producer.start()
        await producer.send_and_wait(
            INTAKE_EVENTS.named(f"{namespace}."),
            json.dumps(future_event).encode(),
            headers=[("content-type", b"application/json")],
        )
        await producer.stop()
        await partner.submit(a_referral())
        await hub.accept_all(1)
    assert await read_topic(infra, DEAD_LETTER, namespace) == []


async def _statuses(partner: Partner) -> list[str | None]:
    return [n.get("status") or n.get("outcome") for n in await partner.read_inbox()]
