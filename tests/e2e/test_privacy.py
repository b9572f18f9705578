"""No personal data in logs, spans, processing records, or the keys and headers the hub writes."""

import json
import logging

import pytest

from shared.contracts.topics import HUB_TOPICS
from tests.infra import Infra
from tests.support import (
    SEEDED_FAMILY_NAME,
    SEEDED_GIVEN_NAME,
    SEEDED_VALUES,
    Partner,
    a_referral,
    at_least,
    eventually,
    read_topic,
    running_hub,
)

pytestmark = pytest.mark.infra


async def test_seeded_personal_data_appears_in_no_log_span_key_or_header(
    infra: Infra, namespace: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    invalid = a_referral().model_dump(mode="json")
    invalid["person"]["date_of_birth"] = f"{SEEDED_GIVEN_NAME} {SEEDED_FAMILY_NAME}"
    invalid[SEEDED_FAMILY_NAME] = SEEDED_VALUES[3]
    # A careless partner system: personal data in its own key and headers.
    careless = {"correlation_id": SEEDED_FAMILY_NAME, "message_id": SEEDED_GIVEN_NAME}
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral(), careless)
        await partner.send_raw(json.dumps(invalid).encode(), careless)
        await partner.send_raw(f'{{"given_name": "{SEEDED_GIVEN_NAME}"'.encode(), careless)
        await partner.submit(a_referral())
        await eventually(lambda: at_least(hub.triage_cases, 2))
        spans = hub.spans.get_finished_spans()
        records = hub.records.records

    out, err = capfd.readouterr()
    written = [r for t in HUB_TOPICS for r in await read_topic(infra, t, namespace)]
    assert len(written) >= 6  # 2 referral events, 2 triage events, 2 dead letters
    exposed = {
        "logs": out + err + caplog.text,
        "spans": "\n".join(
            repr((s.name, dict(s.attributes or {}), [(e.name, dict(e.attributes or {})) for e in s.events], s.status))
            for s in spans
        ),
        "processing records": repr(records),
        "kafka keys": repr([r.key for r in written]),
        "kafka headers": repr([r.headers for r in written]),
    }
    assert spans and records and exposed["logs"]
    for where, text in exposed.items():
        for value in SEEDED_VALUES:
            assert value not in text, f"seeded personal data found in {where}"
