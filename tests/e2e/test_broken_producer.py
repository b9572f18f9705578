"""A producer the broker no longer accepts stops its service instead of consuming on (issue 10,
case 5): the real broker refuses the relay's next batch with OutOfOrderSequenceNumber, as after a
broker restart that lost the producer's state, and intake must not go on consuming while every
publish fails."""

from __future__ import annotations

import asyncio

import pytest

from shared.contracts.topics import partner_inbox
from tests.infra import Infra
from tests.support import PARTY, Partner, a_referral, eventually, read_topic, running_hub

pytestmark = pytest.mark.infra


def kafka_producer(runtime):  # type: ignore[no-untyped-def]
    """The aiokafka producer behind the service's FastStream broker."""
    return runtime.broker._producer._producer.producer


async def test_a_producer_the_broker_refuses_for_good_stops_the_service(infra: Infra, namespace: str) -> None:
    stopped = asyncio.Event()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police:
        hub.intake.reliability.on_fatal = stopped.set  # the supervisor's part: told to restart it
        await police.submit(a_referral())
        await eventually(lambda: read_topic(infra, partner_inbox(PARTY), namespace))
        # The broker's record of this producer and the producer's own no longer agree: what a
        # broker that lost the producer's state sees. Its next batch is out of order.
        sequences = kafka_producer(hub.intake)._txn_manager._sequence_numbers
        for tp in list(sequences):
            sequences[tp] += 7
        await police.submit(a_referral())
        await asyncio.wait_for(stopped.wait(), timeout=60)
