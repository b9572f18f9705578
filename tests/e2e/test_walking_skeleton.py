"""A referral's walk from a partner system through intake to triage, on real Kafka and PostgreSQL."""

import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate
from opentelemetry.sdk.trace import ReadableSpan

from shared.contracts.topics import AANMELDING_EVENTS, DEAD_LETTER, TRIAGE_EVENTS
from shared.telemetry.tracing import setup_tracing
from tests.infra import Infra
from tests.support import (
    PARTY,
    Hub,
    Partner,
    a_referral,
    at_least,
    bodies,
    eventually,
    read_topic,
    running_hub,
)

pytestmark = pytest.mark.infra


async def test_a_referral_flows_from_the_partner_through_intake_to_triage(infra: Infra, namespace: str) -> None:
    referral = a_referral()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(referral)
        (case,) = await eventually(hub.triage_cases)
        (stored,) = await hub.referrals()
    assert (stored.referrer_party, stored.referrer_reference) == (PARTY, referral.referrer_reference)
    assert case.case_id == stored.case_id and case.status == "open" and case.referrer_party == PARTY
    (received,) = bodies(await read_topic(infra, AANMELDING_EVENTS, namespace))
    (opened,) = bodies(await read_topic(infra, TRIAGE_EVENTS, namespace))
    assert received["case_id"] == opened["case_id"] == str(stored.case_id)
    assert received["causation_id"] == str(referral.command_id)
    assert opened["causation_id"] == received["event_id"]
    assert opened["correlation_id"] == received["correlation_id"]


async def test_one_trace_spans_the_partner_intake_and_triage(infra: Infra, namespace: str) -> None:
    partner_tracer = setup_tracing("partner-system").get_tracer("partner")
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        with partner_tracer.start_as_current_span("submit referral") as span:
            headers: dict[str, str] = {}
            propagate.inject(headers)
            await partner.submit(a_referral(), headers)
        trace_id = span.get_span_context().trace_id
        await eventually(hub.triage_cases)
        await eventually(lambda: at_least(lambda: relay_spans(hub), 2))
    in_trace = [s for s in hub.spans.get_finished_spans() if s.context.trace_id == trace_id]
    services = {s.resource.attributes["service.name"] for s in in_trace}
    assert services == {"intake", "triage"}
    names = {s.name for s in in_trace}
    assert {"register referral", "open triage case", "outbox relay"} <= names
    records = [r for r in hub.records.records if r.trace_id == format(trace_id, "032x")]
    assert {r.service for r in records} == {"intake", "triage"}
    assert len({r.data_subject_id for r in records}) == 1  # the same case, pseudonymised alike


async def relay_spans(hub: Hub) -> list[ReadableSpan]:
    return [s for s in hub.spans.get_finished_spans() if s.name == "outbox relay"]


async def test_the_same_delivery_twice_opens_one_case(infra: Infra, namespace: str) -> None:
    referral = a_referral()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(referral)
        await partner.submit(referral)  # a partner's producer retried: same command id
        await partner.submit(a_referral())  # a marker that both copies were consumed before it
        await eventually(lambda: at_least(hub.triage_cases, 2))
        assert len(await hub.referrals()) == 2
        assert len(await hub.triage_cases()) == 2
    assert len(await read_topic(infra, AANMELDING_EVENTS, namespace)) == 2


async def test_the_same_referral_sent_again_opens_no_second_case(infra: Infra, namespace: str) -> None:
    first = a_referral()
    again = a_referral(reference=first.referrer_reference)  # a new message about the same referral
    assert again.command_id != first.command_id
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(first)
        await partner.submit(again)
        await partner.submit(a_referral())
        await eventually(lambda: at_least(hub.triage_cases, 2))
        assert len(await hub.referrals()) == 2
    assert len(await read_topic(infra, AANMELDING_EVENTS, namespace)) == 2


async def test_a_redelivered_event_opens_no_second_triage_case(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral())
        await eventually(hub.triage_cases)
        (record,) = await read_topic(infra, AANMELDING_EVENTS, namespace)
        # Redeliver the very same event bytes, as Kafka does after a consumer crash.
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
        await producer.start()
        await producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))
        await producer.stop()
        await partner.submit(a_referral())
        await eventually(lambda: at_least(hub.triage_cases, 2))
        assert len(await hub.triage_cases()) == 2
    assert len(await read_topic(infra, TRIAGE_EVENTS, namespace)) == 2


async def test_bad_messages_go_to_the_dead_letter_topic_and_the_next_one_flows(infra: Infra, namespace: str) -> None:
    good = a_referral()
    invalid = a_referral().model_dump(mode="json")
    del invalid["person"]
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.send_raw(b"{ not json")
        await partner.send_raw(str(invalid).encode())  # a Python repr, not JSON
        await partner.send_raw(json.dumps(invalid).encode())
        await partner.send_raw(json.dumps({"command_type": "aanmelding.withdraw", "command_id": str(uuid.uuid4())}).encode())
        await partner.submit(good)
        (case,) = await eventually(hub.triage_cases)
        (stored,) = await hub.referrals()
        assert case.case_id == stored.case_id and stored.referrer_reference == good.referrer_reference
    dead = await read_topic(infra, DEAD_LETTER, namespace)
    headers = [dict((k, v.decode()) for k, v in r.headers) for r in dead]
    # Unkeyed messages spread over partitions, so the dead letters' order is not fixed.
    assert sorted(h["zt-dlq-reason"] for h in headers) == [
        "schema-invalid",
        "undecodable",
        "undecodable",
        "unknown-message-type",
    ]
    assert [h["zt-dlq-detail"] for h in headers if h["zt-dlq-reason"] == "schema-invalid"] == ["body.person:missing"]
    for h in headers:
        assert h["zt-dlq-topic"] == Partner(infra, namespace).topic
        assert h["zt-dlq-consumer"] == "intake"
        assert "zt-dlq-partition" in h and "zt-dlq-failed-at" in h
    assert b"{ not json" in [r.value for r in dead]  # the original bytes, for whoever repairs it


async def test_an_event_type_a_consumer_does_not_know_is_skipped_not_dead_lettered(infra: Infra, namespace: str) -> None:
    future_event = {"event_type": "aanmelding.referral-withdrawn", "event_id": str(uuid.uuid4())}
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
        await producer.start()
        await producer.send_and_wait(
            AANMELDING_EVENTS.named(f"{namespace}."),
            json.dumps(future_event).encode(),
            headers=[("content-type", b"application/json")],
        )
        await producer.stop()
        await partner.submit(a_referral())
        await eventually(hub.triage_cases)
    assert await read_topic(infra, DEAD_LETTER, namespace) == []
