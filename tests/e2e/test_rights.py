"""The person's rights on the real broker and PostgreSQL (covenant Bijlage 3): erasure carried out
or refused with a recorded reason, an access export sealed for the requesting party, correction by
the referrer; every request and its outcome in retention's ledger."""

import json
import uuid

import pytest
from sqlalchemy import select

from services.intake.models import Referral
from services.retention.models import RightsRequest
from shared.contracts.rights import access_export_aad
from shared.contracts.topics import AUDIT_EVENTS, HUB_TOPICS, PURGE_COMMANDS, RETENTION_EVENTS, partner_inbox
from shared.crypto import CaseKeyStore, Sealed, open_text
from shared.crypto.keys import case_aad
from tests.infra import Infra
from tests.retention_support import all_confirmed, ledger
from tests.support import (
    MASTER,
    OTHER_PARTY,
    PARTY,
    SEEDED_FAMILY_NAME,
    SEEDED_VALUES,
    Hub,
    Partner,
    a_referral,
    cli_env,
    events_on,
    eventually,
    inbox_of,
    personal_data,
    read_topic,
    running_hub,
    zorgtafel,
)

pytestmark = pytest.mark.infra


async def rights_requests(hub: Hub) -> list[RightsRequest]:
    assert hub.retention is not None
    async with hub.retention.database.sessions() as s:
        return list((await s.scalars(select(RightsRequest))).all())


async def test_an_erasure_refused_for_a_covenant_reason_is_recorded_and_purges_nothing(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.erasure(case.case_id, refused_for="ongoing_complaint"))
        (decided,) = await eventually(lambda: events_on(infra, RETENTION_EVENTS, namespace, "retention.erasure-decided"))
        (request,) = await rights_requests(hub)
        async with hub.intake.database.sessions() as s:
            referral = (await s.scalars(select(Referral))).one()
        entries = await ledger(hub)
    assert decided["outcome"] == "refused" and decided["refused_for"] == "ongoing_complaint"
    assert request.outcome == "refused" and request.refused_for == "ongoing_complaint" and request.decided_by == "pr-test-01"
    assert referral.personal is not None and entries == []


async def test_staff_erase_a_case_and_read_its_ledger_through_the_cli(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        env = cli_env(hub)
        bad = await zorgtafel(env, "retention", "erase", str(case.case_id), "--reason", "because", "--by", "pr-cli")
        erased = await zorgtafel(env, "retention", "erase", str(case.case_id), "--reason", "granted", "--by", "pr-cli")
        for service in ("intake", "triage", "casemeeting"):
            await eventually(lambda s=service: all_confirmed(hub, s), timeout_s=60)
        shown = await zorgtafel(env, "retention", "ledger", str(case.case_id), "--by", "pr-cli")
        status = await zorgtafel(env, "retention", "status", "--json")
        views = await events_on(infra, AUDIT_EVENTS, namespace, "audit.access-recorded")
    assert bad.returncode == 2 and erased.returncode == 0, erased.stderr[-500:]
    state = json.loads(shown.stdout)
    assert {p["state"] for p in state["purges"]} == {"confirmed"}
    assert {p["phase"] for p in state["purges"]} == {"erasure"}
    assert [(r["kind"], r["outcome"], r["decided_by"]) for r in state["rights_requests"]] == [("erasure", "granted", "pr-cli")]
    assert str(case.case_id) not in shown.stdout  # the ledger keeps a pseudonymous reference only
    assert json.loads(status.stdout)["services"]["intake"]["done"] == 6
    looks = [(v["kind"], v["view"], v["actor"], v["role"]) for v in views if v["actor_type"] == "staff"]
    assert looks == [("view", "retention-ledger", "pr-cli", "procesregisseur")]


async def test_an_access_export_gives_the_persons_data_sealed_for_the_referrer_only(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as vt:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.access_export(case.case_id, PARTY))
        parts = await inbox_of(police, "retention.access-export", 3)
        other_inbox = await vt.read_inbox()
        requests = await eventually(lambda: _all_sent(hub))
        topics = (*HUB_TOPICS, partner_inbox(PARTY))
        everything = [r.value for t in topics for r in await read_topic(infra, t, namespace)]
    opened = {
        p["service"]: json.loads(police.open(Sealed(**p["content"]), aad=access_export_aad(uuid.UUID(p["request_id"]), p["service"])))
        for p in parts
    }
    assert set(opened) == {"intake", "triage", "casemeeting"}
    (personal,) = opened["intake"]["items"].values()
    assert all(value in personal for value in SEEDED_VALUES[:2])  # the person's own data, readable for the party
    assert [p for p in other_inbox if p["event_type"] == "retention.access-export"] == []
    assert [(r.kind, r.outcome, r.for_party, r.confirmations["intake"]) for r in requests] == [
        ("access_export", "sent", PARTY, 1)
    ]
    for value in everything:
        assert all(v.encode() not in value for v in SEEDED_VALUES)  # sealed on every topic


async def _all_sent(hub: Hub) -> list[RightsRequest]:
    requests = await rights_requests(hub)
    return requests if requests and all(r.outcome == "sent" for r in requests) else []


@pytest.mark.parametrize(
    ("party", "reason"),
    [(OTHER_PARTY, "party_not_involved"), ("stichting-bestaat-niet", "party_not_involved")],
)
async def test_an_access_export_for_a_party_not_involved_in_the_case_is_refused(
    infra: Infra, namespace: str, party: str, reason: str
) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.access_export(case.case_id, party))
        (refused,) = await eventually(lambda: events_on(infra, RETENTION_EVENTS, namespace, "retention.command-refused"))
        exports = await read_topic(infra, PURGE_COMMANDS, namespace)
    assert refused["reason"] == reason and refused["command_type"] == "retention.request-access-export"
    assert [r for r in exports if b"retention.export-case" in r.value] == []


async def test_the_referrer_corrects_the_persons_data_and_the_ledger_records_it(infra: Infra, namespace: str) -> None:
    corrected_name = "Oosterhout-Gecorrigeerd"
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        referral = a_referral()
        await police.submit(referral)
        (case,) = await hub.accept_all(1)
        fixed = personal_data(person={"family_name": corrected_name})
        await police.send(police.correction(referral.referrer_reference, fixed))
        await police.send(police.correction("POL-onbekend", fixed))
        acks = await inbox_of(police, "intake.referral-acknowledged", 2)
        (rejected,) = await inbox_of(police, "intake.referral-rejected")
        requests = await eventually(lambda: rights_requests(hub))
        async with hub.intake.database.sessions() as s:
            stored = (await s.scalars(select(Referral))).one()
            key = await CaseKeyStore(hub.intake.metadata.tables["case_key"], MASTER).get(s, case.case_id)
    opened = json.loads(open_text(Sealed(**stored.personal), key, aad=case_aad(case.case_id, "personal")))
    assert opened["person"]["family_name"] == corrected_name and SEEDED_FAMILY_NAME not in json.dumps(opened)
    assert [a["status"] for a in acks] == ["received", "corrected"]
    assert [(r["path"], r["code"]) for r in rejected["reasons"]] == [("referrer_reference", "unknown_referral")]
    assert [(r.kind, r.outcome, r.decided_by) for r in requests] == [("correction", "carried_out", "party:politie-oost-brabant")]


async def test_a_purged_referral_cannot_be_corrected(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        referral = a_referral()
        await police.submit(referral)
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.erasure(case.case_id))
        await eventually(lambda: all_confirmed(hub, "intake"))
        await police.send(police.correction(referral.referrer_reference, personal_data()))
        (rejected,) = await inbox_of(police, "intake.referral-rejected")
        entries = await ledger(hub)
    assert [r["code"] for r in rejected["reasons"]] == ["unknown_referral"]  # erasure left no row to correct
    assert entries and all(e.phase == "erasure" for e in entries)
