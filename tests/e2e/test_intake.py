"""Intake on the real broker and PostgreSQL: every rejection, every judgement, the register."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import select

from services.intake.config import IntakeSettings
from services.intake.models import Case, Question, Referral
from services.partner_keys import PartnerKeys
from shared.contracts.aanmelding import ConsentGiven
from shared.contracts.intake import outcome_aad, question_aad
from shared.contracts.register import AdmitParty, ExcludeParty, PartyDetails, RecordPartyLeaving
from shared.contracts.topics import AUDIT_EVENTS, INTAKE_EVENTS, REGISTER_EVENTS, partner_inbound
from shared.crypto import Sealed, party_key, party_kid
from shared.security.acls import AclEntry, service_principal
from shared.security.apply import grant
from tests.infra import Infra
from tests.provisioning import NAMESPACE_PARTIES, provision_namespace
from tests.support import (
    MASTER,
    OTHER_PARTY,
    PARTY,
    SEEDED_VALUES,
    Hub,
    Partner,
    a_referral,
    at_least,
    bodies,
    events_on,
    eventually,
    personal_data,
    read_topic,
    running_hub,
    someone_else,
)

pytestmark = pytest.mark.infra
TODAY = date.today()


def born(years: int) -> date:
    return TODAY.replace(year=TODAY.year - years) - timedelta(days=1)


def consent(person: bool, guardian: bool) -> ConsentGiven:
    return ConsentGiven(by_person=person, by_guardian=guardian, recorded_on=TODAY)


def with_bsn(bsn: str) -> dict[str, Any]:
    content = personal_data().model_dump(mode="json")
    content["person"]["bsn"] = bsn
    return content


async def rejection_of(partner: Partner, reference: str) -> list[tuple[str, str]]:
    async def find() -> dict[str, Any] | None:
        for n in await partner.read_inbox():
            if n["event_type"] == "intake.referral-rejected" and n["referrer_reference"] == reference:
                return n
        return None

    notice = await eventually(find)
    for r in notice["reasons"]:
        assert r["message_nl"] and r["message_en"]
    return [(r["path"], r["code"]) for r in notice["reasons"]]


async def test_every_kind_of_bad_referral_is_rejected_with_reasons_on_the_referrers_inbox(
    infra: Infra, namespace: str
) -> None:
    other_kid = Partner(infra, namespace, party=OTHER_PARTY)  # seals with another party's key and kid
    wrong_key = Partner(infra, namespace, keys=PartnerKeys(PARTY, {party_kid(PARTY): party_key(MASTER, OTHER_PARTY)}, party_kid(PARTY)))
    cases: dict[str, tuple[Any, list[tuple[str, str]]]] = {
        "R-MISSING": (
            {k: v for k, v in a_referral("R-MISSING").model_dump(mode="json").items() if k != "indicators"},
            [("indicators", "missing")],
        ),
        "R-BSN": (a_referral("R-BSN", personal=with_bsn("123456789")),
                  [("personal.person.bsn", "bsn_invalid")]),
        "R-KEY": (wrong_key.referral("R-KEY", personal_data(), municipality="gemeente-oss",
                                     indicators=a_referral().indicators),
                  [("personal", "personal_data_unreadable")]),
        "R-KID": (other_kid.referral("R-KID", personal_data(), municipality="gemeente-oss",
                                     indicators=a_referral().indicators),
                  [("personal.kid", "transport_key_not_yours")]),
        "R-REGION": (a_referral("R-REGION", municipality="gemeente-amsterdam"),
                     [("municipality", "municipality_not_in_region")]),
        "R-FUTURE": (a_referral("R-FUTURE", personal=personal_data(person={"date_of_birth": TODAY + timedelta(days=3)})),
                     [("personal.person.date_of_birth", "date_of_birth_in_future")]),
        "R-UNDER12": (a_referral("R-UNDER12", personal=personal_data(person={"date_of_birth": born(10)},
                                                                     consent=consent(True, False))),
                      [("personal.consent.by_guardian", "consent_by_guardian_required")]),
        "R-TEEN": (a_referral("R-TEEN", personal=personal_data(person={"date_of_birth": born(14)},
                                                               consent=consent(False, True))),
                   [("personal.consent", "consent_by_child_and_guardian_required")]),
        "R-ADULT": (a_referral("R-ADULT", personal=personal_data(consent=consent(False, True))),
                    [("personal.consent.by_person", "consent_by_person_required")]),
        "R-TYPE": ({"command_type": "aanmelding.withdraw", "referrer_reference": "R-TYPE"},
                   [("command_type", "unknown_message_type")]),
    }  # fmt: skip
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        for body, _ in cases.values():
            if isinstance(body, dict):
                await partner.send_raw(json.dumps(body).encode())
            else:
                await partner.send(body)
        for reference, (_, expected) in cases.items():
            assert await rejection_of(partner, reference) == expected, reference
        assert await hub.cases() == [] and await hub.referrals() == []
        inbox_text = json.dumps(await partner.read_inbox())
    assert all(v not in inbox_text for v in SEEDED_VALUES)


async def test_an_accepted_referral_is_told_to_the_referrer_and_starts_triage(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        referral = a_referral()
        await partner.submit(referral)
        (triage_case,) = await hub.accept_all(1)
        notices = await eventually(lambda: at_least(partner.read_inbox, 2))
        (case,) = await hub.cases()
    assert [(n["event_type"], n.get("status") or n.get("outcome")) for n in notices] == [
        ("intake.referral-acknowledged", "received"),
        ("intake.referral-outcome", "accepted"),
    ]
    assert all(n["referrer_reference"] == referral.referrer_reference for n in notices)
    assert "case_id" not in json.dumps(notices)  # a referrer never learns the hub's case id
    assert case.status == "accepted" and case.decided_by == "pr-test-01"
    assert triage_case.case_id == case.case_id


async def test_a_declined_referral_tells_the_referrer_why_in_a_text_only_it_can_read(
    infra: Infra, namespace: str
) -> None:
    reason = "Geen Zorgtafel-casus: één keten volstaat (criterium C)."
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        referral = a_referral()
        await partner.submit(referral)
        (case,) = await eventually(hub.cases)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.decline(case.case_id, reason))
        notices = await eventually(lambda: at_least(partner.read_inbox, 2))
        (case,) = await hub.cases()
        events = bodies(await read_topic(infra, INTAKE_EVENTS, namespace))
    outcome = notices[1]
    assert outcome["outcome"] == "declined"
    assert reason not in json.dumps(outcome) and reason not in json.dumps(events)
    opened = partner.open(Sealed(**outcome["reason"]), aad=outcome_aad(PARTY, referral.referrer_reference))
    assert opened == reason
    assert case.status == "declined" and case.decline_reason is not None
    assert [e["event_type"] for e in events] == ["intake.referral-declined"]
    assert await hub.triage_cases() == []


async def test_the_procesregisseur_asks_and_the_referrer_answers(infra: Infra, namespace: str) -> None:
    question = "Is betrokkene bereikbaar via de wijkagent?"
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner, Partner(
        infra, namespace, party=OTHER_PARTY
    ) as other:
        await partner.submit(a_referral())
        (case,) = await eventually(hub.cases)
        async with hub.procesregisseur() as pr:
            ask = pr.ask(case.case_id, question)
            await pr.send(ask)
        asked = (await eventually(lambda: at_least(partner.read_inbox, 2)))[1]
        assert partner.open(Sealed(**asked["question"]), aad=question_aad(ask.question_id)) == question
        await other.send(other.answer(ask.question_id, "Ik ben niet gevraagd."))
        assert await rejection_of(other, None) == [("question_id", "unknown_question")]  # type: ignore[arg-type]
        await partner.send(partner.answer(ask.question_id, "Ja, dinsdag."))

        async def answered() -> Question | None:
            async with hub.intake.database.sessions() as s:
                q = await s.get(Question, ask.question_id)
                return q if q and q.answer else None

        stored = await eventually(answered)
        events = [e["event_type"] for e in bodies(await read_topic(infra, INTAKE_EVENTS, namespace))]
    assert events == ["intake.question-asked", "intake.question-answered"]
    assert "Ja, dinsdag." not in json.dumps(stored.answer) and question not in json.dumps(stored.question)


async def test_a_referral_about_a_person_with_an_open_case_is_linked_to_it(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, party=OTHER_PARTY
    ) as veilig_thuis:
        await police.submit(a_referral(personal=personal_data(person={"bsn": "111222333"})))
        (case,) = await eventually(hub.cases)
        # The same person, written differently and without the BSN, by another party.
        same = personal_data(person={"given_name": "  MARIJKE ", "family_name": "oosterhout testpersoon"})
        await veilig_thuis.submit(a_referral(party=OTHER_PARTY, personal=same))
        referrals = await eventually(lambda: at_least(hub.referrals, 2))
        assert len(await hub.cases()) == 1
        linked = await eventually(lambda: _events_of(infra, namespace, "intake.repeat-referral-linked"))
        ack = (await eventually(veilig_thuis.read_inbox))[0]
    assert {r.case_id for r in referrals} == {case.case_id}
    assert [r.linked_as_repeat for r in sorted(referrals, key=lambda r: r.received_at)] == [False, True]
    (event,) = linked
    assert (event["case_id"], event["referrer_party"], event["matched_on"]) == (
        str(case.case_id), OTHER_PARTY, "name_and_date_of_birth"
    )
    assert ack["status"] == "received"  # need to know: the second referrer is not told the person is known


async def _events_of(infra: Infra, namespace: str, event_type: str) -> list[dict[str, Any]]:
    return [e for e in bodies(await read_topic(infra, INTAKE_EVENTS, namespace)) if e["event_type"] == event_type]


async def test_a_judgement_on_an_unknown_or_decided_case_is_refused(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.accept(case.case_id))
            await pr.send(pr.accept(uuid.uuid4()))
        refused = await eventually(lambda: at_least(lambda: _events_of(infra, namespace, "intake.command-refused"), 2))
    assert sorted(e["reason"] for e in refused) == ["case_already_decided", "unknown_case"]


async def register_change(hub: Hub, command: Any) -> None:
    async with hub.procesregisseur() as pr:
        await pr.send(command)


def register_command(cls: Any, **fields: Any) -> Any:
    return cls(command_id=uuid.uuid4(), issued_at=datetime.now(UTC), **fields)


async def test_referrals_from_an_excluded_a_departed_or_a_non_party_are_refused_and_audited(
    infra: Infra, namespace: str
) -> None:
    admin = AIOKafkaAdminClient(**infra.admin().aiokafka())
    await admin.start()
    fake = partner_inbound("nep-partij").named(f"{namespace}.")
    await admin.create_topics([NewTopic(fake, 1, 1)])
    await admin.close()
    if infra.secured:
        # The broker refuses a non-party outright (it has no principal: test_broker_security.py).
        # Intake's own gate is tested as if the broker had let it through: intake may read the
        # topic, and the impostor writes as a principal that may.
        rule = AclEntry(service_principal("intake"), "TOPIC", "LITERAL", fake, "READ")
        await asyncio.to_thread(grant, infra.admin(), rule.principal, {rule}, IntakeSettings().secret_file)
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, party=OTHER_PARTY
    ) as veilig_thuis, Partner(infra, namespace, party="nep-partij", access=infra.admin()) as impostor:
        await register_change(hub, register_command(ExcludeParty, code=PARTY, effective_on=TODAY))
        await register_change(
            hub, register_command(RecordPartyLeaving, code=OTHER_PARTY, effective_on=TODAY - timedelta(days=1))
        )
        await eventually(lambda: at_least(lambda: read_topic(infra, REGISTER_EVENTS, namespace), 2))
        await police.submit(a_referral())
        await veilig_thuis.submit(a_referral(party=OTHER_PARTY))
        await impostor.submit(a_referral(party="nep-partij"))
        refused = await eventually(
            lambda: at_least(lambda: events_on(infra, AUDIT_EVENTS, namespace, "audit.inbound-refused"), 3)
        )
        assert await hub.cases() == []
        assert await police.read_inbox() == [] and await veilig_thuis.read_inbox() == []
    assert sorted((e["claimed_party"], e["reason"]) for e in refused) == [
        ("nep-partij", "not_a_party"),
        (PARTY, "party_excluded"),
        (OTHER_PARTY, "party_left"),
    ]


async def test_an_admitted_organisation_gets_its_topics_and_can_refer(infra: Infra, namespace: str) -> None:
    newcomer = PartyDetails(
        code="stichting-nieuw-begin", name="Stichting Nieuw Begin", kind="organisation", sector="shelter"
    )
    async with running_hub(infra, namespace) as hub:
        await register_change(hub, register_command(AdmitParty, party=newcomer, effective_on=TODAY))
        (admitted,) = bodies(await eventually(lambda: read_topic(infra, REGISTER_EVENTS, namespace)))
        assert admitted["party"]["code"] == newcomer.code and admitted["party"]["seat"] is None
        # Its principal, credential and rules: what `zorgtafel security apply` gives a new party.
        await provision_namespace(infra, namespace, (*NAMESPACE_PARTIES, newcomer.code))
        async with Partner(infra, namespace, party=newcomer.code) as partner:
            await eventually(lambda: _topic_exists(infra, partner.inbound))
            await partner.submit(a_referral(party=newcomer.code, personal=someone_else()))
            (case,) = await eventually(hub.cases)
    assert case.referrer_party == newcomer.code


async def _topic_exists(infra: Infra, topic: str) -> bool:
    admin = AIOKafkaAdminClient(**infra.admin().aiokafka())
    await admin.start()
    try:
        return topic in await admin.list_topics()
    finally:
        await admin.close()


async def test_intake_stores_personal_data_only_sealed(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral(personal=personal_data(person={"bsn": "111222333"})))
        await eventually(hub.referrals)
        async with hub.intake.database.sessions() as s:
            rows = [*(await s.scalars(select(Referral))).all(), *(await s.scalars(select(Case))).all()]
    stored = json.dumps([{c: str(getattr(r, c)) for c in r.__table__.columns.keys()} for r in rows])
    assert all(v not in stored for v in SEEDED_VALUES)
