"""What a partner puts in its headers stays out of the hub's topics on the normal path too: a valid
referral sent with tracestate and baggage leaves only the hub's own headers on every topic the hub
writes (README: no personal data in Kafka headers; issue 10, case 12's kind)."""

from __future__ import annotations

import pytest

from shared.contracts.topics import HUB_TOPICS, partner_inbox
from tests.infra import Infra
from tests.support import PARTY, Partner, a_referral, eventually, read_topic, running_hub

pytestmark = pytest.mark.infra
MARKER = "bsn-111222333"


async def test_a_partners_tracestate_and_baggage_reach_no_hub_topic(infra: Infra, namespace: str) -> None:
    headers = {"tracestate": f"vendor={MARKER}", "baggage": f"who={MARKER}",
               "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral(), headers)
        (case,) = await eventually(hub.cases)
        await hub.accept(case.case_id)
        await eventually(hub.triage_cases)
        await eventually(lambda: read_topic(infra, partner_inbox(PARTY), namespace))
        written = [r for t in (*HUB_TOPICS, partner_inbox(PARTY)) for r in await read_topic(infra, t, namespace)]
    names = {k for r in written for k, _ in r.headers}
    assert written and "tracestate" not in names and "baggage" not in names, names
    assert all(MARKER.encode() not in v for r in written for _, v in r.headers)
