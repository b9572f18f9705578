"""The fault family of issue 10 on the real broker and PostgreSQL: no poison row or oversized
message stalls a partition, nothing is lost silently, per-case order holds with several relays,
and a partner's headers never travel into a hub topic."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid

import pytest
from sqlalchemy import func, select

from services.intake.app import create_runtime as create_intake
from services.intake.config import IntakeSettings
from shared.contracts.aanmelding import ReferralReceived
from shared.contracts.topics import AANMELDING_EVENTS, INTAKE_COMMANDS, partner_inbox
from tests.infra import Infra
from tests.support import (
    OTHER_PARTY,
    PARTY,
    TEST_PARTIES,
    Partner,
    a_referral,
    at_least,
    dead_letters,
    eventually,
    raw_send,
    read_topic,
    running_hub,
    settings_for,
)

pytestmark = pytest.mark.infra
# Just under what the broker takes (message.max.bytes 1048588 with the batch overhead), so it is
# accepted; the hub cannot add its dead-letter headers to it and stay under the producer's 1 MiB.
NEAR_LIMIT = 1_048_300


async def inbox_types(infra: Infra, namespace: str, party: str) -> list[str]:
    return [json.loads(r.value)["event_type"] for r in await read_topic(infra, partner_inbox(party), namespace)]


async def test_an_oversized_inbound_message_is_dead_lettered_as_a_stub_and_the_partition_moves_on(
    infra: Infra, namespace: str
) -> None:
    value = b"x" * NEAR_LIMIT
    async with running_hub(infra, namespace) as _hub, Partner(infra, namespace) as police:
        await raw_send(infra, police.topic, value)
        await police.submit(a_referral())  # behind it on the same partition
        await eventually(lambda: inbox_types(infra, namespace, PARTY), timeout_s=60)
        letters = await eventually(lambda: dead_letters(infra, namespace))
    (letter,) = [d for d in letters if d["headers"]["zt-dlq-consumer"] == "intake"]
    assert letter["headers"]["zt-dlq-reason"] == "undecodable"
    assert letter["headers"]["zt-dlq-original-size"] == str(NEAR_LIMIT)
    stub = json.loads(letter["value"])
    assert stub == {"stub": True, "original_size": NEAR_LIMIT, "sha256": hashlib.sha256(value).hexdigest()}
    assert len(letters) == 1  # triage and casemeeting share the topic but leave it to its owner


async def test_an_oversized_command_is_never_lost_silently(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police:
        await raw_send(infra, INTAKE_COMMANDS.named(f"{namespace}."), b"y" * NEAR_LIMIT)
        await police.submit(a_referral())
        (case,) = await eventually(hub.cases)
        await hub.accept(case.case_id)  # a command behind the oversized one is still carried out
        await eventually(hub.triage_cases, timeout_s=60)
        letters = await dead_letters(infra, namespace)
    (letter,) = letters
    assert letter["headers"]["zt-dlq-topic"] == INTAKE_COMMANDS.named(f"{namespace}.")
    assert json.loads(letter["value"])["original_size"] == NEAR_LIMIT


@pytest.mark.parametrize(
    "value",
    [
        b'{"command_type": "aanmelding.submit-referral", "schema_version": ' + b"7" * 5000 + b"}",
        b"[" * 20_000,
    ],
    ids=["5000-digit-number", "20000-nested-arrays"],
)
async def test_input_the_parser_refuses_is_dead_lettered_once_by_the_topics_owner_without_retries(
    infra: Infra, namespace: str, value: bytes
) -> None:
    async with running_hub(infra, namespace, meeting_overrides={}, max_handler_attempts=50) as _hub, Partner(
        infra, namespace
    ) as police:
        await raw_send(infra, police.topic, value)
        await police.submit(a_referral())
        # With 50 attempts of backoff, a retried message would hold the referral behind it for minutes.
        await eventually(lambda: inbox_types(infra, namespace, PARTY), timeout_s=20)
        letters = await eventually(lambda: dead_letters(infra, namespace))
        await asyncio.sleep(1)  # a second consumer's dead letter would arrive by now
        letters = await dead_letters(infra, namespace)
    assert [(d["headers"]["zt-dlq-consumer"], d["headers"]["zt-dlq-reason"]) for d in letters] == [("intake", "undecodable")]


async def test_a_dead_letter_carries_only_headers_the_hub_wrote(infra: Infra, namespace: str) -> None:
    marker = "bsn=111222333"
    headers = {
        "content-type": f"application/json; {marker}",
        "tracestate": marker,
        "baggage": f"{marker},name=Marijke",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "x-partner-note": marker,
    }
    async with running_hub(infra, namespace) as _hub, Partner(infra, namespace) as police:
        await raw_send(infra, police.topic, b"{ not json", headers)
        (letter,) = await eventually(lambda: dead_letters(infra, namespace))
    names = set(letter["headers"])
    # correlation_id: FastStream's own header, a new UUID of the hub's for each publish.
    assert all(n.startswith("zt-dlq-") or n in ("content-type", "traceparent", "correlation_id") for n in names), names
    uuid.UUID(letter["headers"]["correlation_id"])
    assert letter["headers"]["content-type"] == "application/json"
    assert "111222333" not in json.dumps(letter["headers"]) and "Marijke" not in json.dumps(letter["headers"])


async def test_a_referral_whose_rejection_would_be_huge_gets_a_bounded_answer_and_blocks_no_one(
    infra: Infra, namespace: str
) -> None:
    flood = a_referral().model_dump(mode="json")
    flood["indicators"]["life_domains"] = [f"no-such-domain-{i}" for i in range(7000)]
    async with running_hub(infra, namespace) as _hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, OTHER_PARTY
    ) as vt:
        await police.send_raw(json.dumps(flood).encode())
        await vt.submit(a_referral(party=OTHER_PARTY))
        answered = await eventually(lambda: inbox_types(infra, namespace, OTHER_PARTY), timeout_s=30)
        (rejection,) = [
            json.loads(r.value) for r in await eventually(lambda: read_topic(infra, partner_inbox(PARTY), namespace))
        ]
    assert answered == ["intake.referral-acknowledged"]
    assert rejection["event_type"] == "intake.referral-rejected"
    reasons = rejection["reasons"]
    assert len(reasons) <= 51 and reasons[-1]["code"] == "more_reasons"
    assert len(json.dumps(rejection)) < 64_000


async def test_an_unpublishable_outbox_row_is_parked_and_the_rows_behind_it_leave(infra: Infra, namespace: str) -> None:
    settings = settings_for(IntakeSettings, infra, namespace, partner_topics=TEST_PARTIES)
    runtime = create_intake(settings)
    await runtime.database.create_schema(runtime.metadata)
    case_id = uuid.uuid4()
    huge, after = received(case_id, "x" * 1_100_000), received(uuid.uuid4())
    async with runtime.unit_of_work() as uow:
        await runtime.outbox.stage(uow.session, AANMELDING_EVENTS, huge)
        await runtime.outbox.stage(uow.session, AANMELDING_EVENTS, after)
        await uow.commit()
    async with runtime.app():
        published = await eventually(lambda: read_topic(infra, AANMELDING_EVENTS, namespace), timeout_s=30)
        letters = await eventually(lambda: dead_letters(infra, namespace))
        async with runtime.database.sessions() as s:
            parked = await s.scalar(select(func.count()).select_from(runtime.tables.outbox).where(
                runtime.tables.outbox.c.parked_at.is_not(None)
            ))
    assert [json.loads(r.value)["event_id"] for r in published] == [str(after.event_id)]
    assert parked == 1
    (letter,) = letters
    assert letter["headers"]["zt-dlq-reason"] == "outbox-unpublishable"
    assert json.loads(letter["value"])["message_id"] == str(huge.event_id)


def received(case_id: uuid.UUID, padding: str = "") -> ReferralReceived:
    """A hub event; `padding` (in the producer field's place, never sent) only makes it large."""
    return ReferralReceived(
        case_id=case_id, producer="intake" + padding, correlation_id=uuid.uuid4(), referrer_party=PARTY, urgency="regular"
    )


async def test_two_relays_keep_a_cases_events_in_order(infra: Infra, namespace: str) -> None:
    settings = settings_for(IntakeSettings, infra, namespace, partner_topics=TEST_PARTIES, outbox_batch_size=20)
    first, second = create_intake(settings), create_intake(settings)
    await first.database.create_schema(first.metadata)
    case_id = uuid.uuid4()
    staged = [received(case_id) for _ in range(180)]
    async with first.unit_of_work() as uow:
        for event in staged:
            await first.outbox.stage(uow.session, AANMELDING_EVENTS, event)
        await uow.commit()
    async with contextlib.AsyncExitStack() as stack:
        await asyncio.gather(stack.enter_async_context(first.app()), stack.enter_async_context(second.app()))
        published = await eventually(lambda: at_least(lambda: read_topic(infra, AANMELDING_EVENTS, namespace), 180), timeout_s=60)
    order = [json.loads(r.value)["event_id"] for r in sorted(published, key=lambda r: r.offset)]
    assert order == [str(e.event_id) for e in staged]
