"""No personal data in clear in logs, spans, processing records, or anything the hub writes to Kafka."""

import json
import logging

import pytest
from sqlalchemy import select

from services.retention.models import LedgerEntry
from shared.contracts.topics import DEAD_LETTER, HUB_TOPICS, RETENTION_EVENTS, partner_inbox
from tests.infra import Infra
from tests.support import (
    PARTY,
    SEEDED_BSN,
    SEEDED_FAMILY_NAME,
    SEEDED_GIVEN_NAME,
    SEEDED_VALUES,
    Partner,
    a_referral,
    events_on,
    eventually,
    personal_data,
    read_topic,
    running_hub,
    someone_else,
)

pytestmark = pytest.mark.infra


async def _completions(infra: Infra, namespace: str, n: int) -> list[dict[str, object]]:
    done = await events_on(infra, RETENTION_EVENTS, namespace, "retention.purge-completed")
    return done if len(done) >= n else []


async def test_seeded_personal_data_appears_in_no_log_span_key_or_header(
    infra: Infra, namespace: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    invalid = a_referral().model_dump(mode="json")
    invalid["municipality"] = f"{SEEDED_GIVEN_NAME} {SEEDED_FAMILY_NAME}"
    invalid[SEEDED_FAMILY_NAME] = SEEDED_VALUES[3]
    with_bsn = personal_data(person={"bsn": SEEDED_BSN})
    # A careless partner system: personal data in its own key and headers.
    careless = {"correlation_id": SEEDED_FAMILY_NAME, "message_id": SEEDED_GIVEN_NAME}
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral(personal=with_bsn), careless)
        await partner.send_raw(json.dumps(invalid).encode(), careless)
        await partner.send_raw(f'{{"given_name": "{SEEDED_GIVEN_NAME}"'.encode(), careless)
        await partner.submit(a_referral(personal=someone_else()))
        cases = await hub.accept_all(2)
        async with hub.procesregisseur() as pr:  # retention too: its commands, events and ledger
            await pr.send(pr.erasure(cases[0].case_id))
        purged = await eventually(lambda: _completions(infra, namespace, 2))  # casemeeting is not running
        assert hub.retention is not None
        async with hub.retention.database.sessions() as s:
            ledger = repr([tuple(r) for r in (await s.execute(select(LedgerEntry.__table__))).all()])
        spans = hub.spans.get_finished_spans()
        records = hub.records.records

    out, err = capfd.readouterr()
    hub_topics = (*HUB_TOPICS, partner_inbox(PARTY))
    written = [r for t in hub_topics for r in await read_topic(infra, t, namespace)]
    # 2 received, 2 accepted, 2 opened, 1 dead letter, 2 acks + 1 rejection + 2 outcomes to the partner
    assert len(written) >= 12
    values = "\n".join(r.value.decode(errors="replace") for r in written if r.topic != DEAD_LETTER.named(f"{namespace}."))
    exposed = {
        "logs": out + err + caplog.text,
        "spans": "\n".join(
            repr((s.name, dict(s.attributes or {}), [(e.name, dict(e.attributes or {})) for e in s.events], s.status))
            for s in spans
        ),
        "processing records": repr(records),
        "purge ledger": ledger,
        "kafka keys": repr([r.key for r in written]),
        "kafka headers": repr([r.headers for r in written]),
        # Everything the hub itself wrote (the dead letter keeps the sender's bytes as they were).
        "kafka values written by the hub": values,
    }
    assert spans and records and exposed["logs"] and len(purged) == 2 and str(cases[0].case_id) not in ledger
    for where, text in exposed.items():
        for value in SEEDED_VALUES:
            assert value not in text, f"seeded personal data found in {where}"
