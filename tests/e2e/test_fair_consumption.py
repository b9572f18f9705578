"""One party's backlog does not starve the others (issue 10, case 8): with 1,200 referrals waiting
on three parties' inbound topics, a fourth party's referral is answered after a bounded share of
them, not after all (each partition is served in chunks of `ZT_FETCH_BYTES_PER_PARTITION`)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.topics import partner_inbound, partner_inbox
from tests.e2e.test_casemeeting import COA, GGD, PARTIES
from tests.infra import Infra
from tests.support import OTHER_PARTY, PARTY, Partner, a_referral, eventually, read_topic, running_hub

pytestmark = pytest.mark.infra
BACKLOG_PER_PARTY = 400
BACKLOGGED = (PARTY, GGD, COA)  # their topics sort before the newcomer's, so it is not first by luck


async def backlog(infra: Infra, namespace: str, party: str, n: int) -> None:
    """`n` valid, sealed referrals of `party`, produced in one go before the hub starts."""
    partner = Partner(infra, namespace, party)
    producer = AIOKafkaProducer(**infra.admin().aiokafka(), linger_ms=20)
    await producer.start()
    try:
        for _ in range(n):
            await producer.send(partner.topic, a_referral(party=party).model_dump_json().encode(),
                                headers=[("content-type", b"application/json")])
        await producer.flush()
    finally:
        await producer.stop()


async def test_a_referral_behind_three_parties_backlogs_is_answered_before_most_of_them(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as _warm:
        pass  # creates every party's topics
    await asyncio.gather(*(backlog(infra, namespace, p, BACKLOG_PER_PARTY) for p in BACKLOGGED))
    async with running_hub(infra, namespace, partner_topics=PARTIES) as _hub, Partner(infra, namespace, OTHER_PARTY) as vt:
        await vt.submit(a_referral(party=OTHER_PARTY))
        (answer,) = await eventually(lambda: read_topic(infra, partner_inbox(OTHER_PARTY), namespace), timeout_s=180)
        (sent,) = await read_topic(infra, partner_inbound(OTHER_PARTY), namespace)
        # By when each answer was written, not by what is there once we look (the backlog is
        # answered at hundreds a second while the topics are read), and from when the newcomer's
        # referral was there: what was answered before it was sent says nothing about fairness.
        backlog_answers = [r.timestamp for p in BACKLOGGED for r in await read_topic(infra, partner_inbox(p), namespace)]
    waiting = len(backlog_answers) - sum(t < sent.timestamp for t in backlog_answers)
    answered_before = sum(sent.timestamp <= t < answer.timestamp for t in backlog_answers)
    print(f"fairness: {answered_before} of the {waiting} backlogged referrals still waiting were answered first")
    assert answered_before <= waiting // 2
