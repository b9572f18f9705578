"""Retention on the real broker and PostgreSQL: afschaling purges every service's personal data and
keys, terms fall due on their covenant day, purges survive a stopped service and redelivery,
and the person's erasure request is carried out or refused (covenant art. 1.2, Bijlage 3)."""

import asyncio
import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.casemeeting.app import create_runtime as create_casemeeting
from services.casemeeting.config import CasemeetingSettings
from services.casemeeting.models import Action, MeetingCase
from services.intake.models import Case, Referral
from services.triage.models import TriageCase
from shared.contracts.topics import (
    AFSCHALING_EVENTS,
    DEAD_LETTER,
    HUB_TOPICS,
    PURGE_COMMANDS,
    RETENTION_EVENTS,
    TRIAGE_EVENTS,
)
from shared.crypto import CaseKeyStore, KeyDestroyedError, Sealed, open_text
from shared.crypto.keys import case_aad
from shared.retention.categories import Category
from tests.e2e.test_casemeeting import DESIGNATED, GGD, PARTIES, meeting_with_three_parties
from tests.infra import Infra
from tests.retention_support import (
    all_confirmed,
    amsterdam_midnight,
    completed_by,
    completions,
    declined_case,
    ledger,
    personal_purges_confirmed,
    started,
)
from tests.support import (
    MASTER,
    OTHER_PARTY,
    PARTY,
    SEEDED_VALUES,
    AdjustableClock,
    Hub,
    Partner,
    a_referral,
    at_least,
    cli_env,
    events_on,
    eventually,
    read_topic,
    running_hub,
    settings_for,
    someone_else,
    zorgtafel,
)

pytestmark = pytest.mark.infra
GOAL, CRITERIA = "Veilige opvang regelen.", "Veilig gehuisvest en in zorg."


async def to_afschaling(hub: Hub, infra: Infra, namespace: str, partners: dict[str, Partner]) -> uuid.UUID:
    """A case through the Casusoverleg (plan with texts, an item supplied) to afschaling."""
    case_id, meeting_id = await meeting_with_three_parties(hub, infra, namespace, partners)
    async with hub.procesregisseur() as pr:
        await pr.send(pr.attendance(meeting_id, present=list(DESIGNATED), apologies=[]))
        await pr.send(pr.appoint(meeting_id, GGD))
        await pr.send(pr.adopt_plan(meeting_id, [pr.action(GGD, date.today() + timedelta(days=9), "Medische intake.", "Adres.")]))
        await pr.send(pr.afschaling_criteria(case_id, meeting_id, CRITERIA))
        await pr.send(pr.afschaling(meeting_id))
    await eventually(lambda: events_on(infra, AFSCHALING_EVENTS, namespace))
    return case_id


async def test_afschaling_purges_every_services_personal_data_and_destroys_its_keys(infra: Infra, namespace: str) -> None:
    clock = AdjustableClock()
    async with running_hub(
        infra, namespace, partner_topics=PARTIES, meeting_overrides={}, retention_overrides={}, retention_clock=clock
    ) as hub, Partner(infra, namespace) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(
        infra, namespace, GGD
    ) as ggd:
        case_id = await to_afschaling(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        # The cleanse term after afschaling is 0 days: every service confirms on the same day.
        done = await eventually(lambda: at_least(lambda: completions(infra, namespace), 3), timeout_s=60)
        await eventually(lambda: personal_purges_confirmed(hub))
        (decided,) = await events_on(infra, TRIAGE_EVENTS, namespace, "triage.decided")
        intake_db, triage_db, meeting_db = hub.intake.database, hub.triage.database, hub.casemeeting.database  # type: ignore[union-attr]
        async with intake_db.sessions() as s:
            referral = (await s.scalars(select(Referral))).one()
            case = await s.get(Case, case_id)
        async with triage_db.sessions() as s:
            triage_case = await s.get(TriageCase, case_id)
            with pytest.raises(KeyDestroyedError):
                await CaseKeyStore(hub.triage.metadata.tables["case_key"], MASTER).get(s, case_id)
        async with meeting_db.sessions() as s:
            meeting_case = await s.get(MeetingCase, case_id)
            actions = list((await s.scalars(select(Action))).all())
        entries = await ledger(hub)
        everything = [r.value for t in HUB_TOPICS for r in await read_topic(infra, t, namespace)]

    assert {d["service"] for d in done} == {"intake", "triage", "casemeeting"}
    assert all(d["case_id"] == str(case_id) for d in done)
    by_service = {d["service"]: d["counts"] for d in done}
    assert by_service["intake"][Category.REFERRAL_PERSONAL] == 1 and by_service["intake"][Category.CASE_KEYS] == 1
    assert by_service["casemeeting"][Category.PLAN_TEXTS] == 1 and by_service["triage"][Category.CASE_KEYS] == 1
    # Personal data gone everywhere; the non-personal case record stays until its own term.
    assert referral.personal is None and case is not None and case.match_name is None and case.status == "accepted"
    assert triage_case is not None and triage_case.decision["texts"] == {} and triage_case.status == "casusoverleg"
    assert meeting_case is not None and meeting_case.goal is None and meeting_case.afschaling_criteria is None
    assert [(a.description, a.information_need) for a in actions] == [(None, None)]
    # The Kafka copy of triage's decision stays, sealed under a key that no longer exists.
    assert decided["meeting"]["goal"]["kid"] == f"case:{case_id}"
    personal_entries = [e for e in entries if e.category != Category.CASE_RECORD]
    assert personal_entries and all(e.state == "confirmed" and e.count is not None for e in personal_entries)
    assert {e.state for e in entries if e.category == Category.CASE_RECORD} == {"pending"}
    assert all(len(e.case_ref) == 64 and str(case_id) not in e.case_ref for e in entries)
    for value in everything:
        assert all(v.encode() not in value for v in (*SEEDED_VALUES, GOAL, CRITERIA))
    assert all(str(case_id) not in json.dumps(d["counts"]) for d in done)


async def test_a_kafka_copy_of_a_hub_event_no_longer_opens_after_the_purge(infra: Infra, namespace: str) -> None:
    async with running_hub(
        infra, namespace, partner_topics=PARTIES, meeting_overrides={}, retention_overrides={}
    ) as hub, Partner(infra, namespace) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(
        infra, namespace, GGD
    ) as ggd:
        before: list[str] = []

        async def goal_opens() -> None:
            (decided,) = await events_on(infra, TRIAGE_EVENTS, namespace, "triage.decided")
            async with hub.triage.database.sessions() as s:
                key = await CaseKeyStore(hub.triage.metadata.tables["case_key"], MASTER).get(s, uuid.UUID(decided["case_id"]))
            sealed = Sealed(**decided["meeting"]["goal"])
            before.append(open_text(sealed, key, aad=case_aad(uuid.UUID(decided["case_id"]), "goal")))

        case_id, _ = await meeting_with_three_parties(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        await goal_opens()
        async with hub.procesregisseur() as pr:
            await pr.send(pr.erasure(case_id))
        await eventually(lambda: at_least(lambda: completions(infra, namespace), 3), timeout_s=60)
        with pytest.raises(KeyDestroyedError):
            await goal_opens()
    assert before and before[0]  # it opened while the key lived


async def test_a_term_falls_due_on_its_covenant_day_and_not_the_day_before(infra: Infra, namespace: str) -> None:
    clock = AdjustableClock()
    async with running_hub(infra, namespace, retention_overrides={}, retention_clock=clock) as hub, Partner(
        infra, namespace
    ) as police:
        case_id = await declined_case(hub, police)
        entries = await eventually(lambda: ledger(hub))
        (personal,) = [e for e in entries if e.category == Category.REFERRAL_PERSONAL]
        # The covenant's day is Amsterdam's, not the machine's (between 00:00 and 01:00 or 02:00 Amsterdam
        # time they differ): 28 days from the day of the decline there.
        amsterdam_today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
        assert personal.phase == "declined_at_intake" and personal.due_on == amsterdam_today + timedelta(days=28)
        # One microsecond before the due day starts in Amsterdam: nothing is issued.
        clock.freeze(amsterdam_midnight(personal.due_on) - timedelta(microseconds=1))
        assert hub.retention is not None
        await asyncio.sleep(1.0)  # five scans of the running service (every 0.2 s)
        early = [e.state for e in await ledger(hub) if e.category == Category.REFERRAL_PERSONAL]
        async with hub.intake.database.sessions() as s:
            still_there = (await s.scalars(select(Referral))).one().personal
        clock.freeze(amsterdam_midnight(personal.due_on))
        (done,) = await eventually(lambda: completed_by(infra, namespace, "intake"), timeout_s=30)
        async with hub.intake.database.sessions() as s:
            referral = (await s.scalars(select(Referral))).one()
    assert early == ["pending"] and still_there is not None
    assert done["case_id"] == str(case_id) and done["counts"][Category.REFERRAL_PERSONAL] == 1
    assert referral.personal is None


async def erased_while_casemeeting_is_down(hub: Hub, infra: Infra, namespace: str, police: Partner) -> uuid.UUID:
    """Casemeeting ran once (its consumer group has committed offsets), then stopped; erasure now."""
    async with started(create_casemeeting(settings_for(CasemeetingSettings, infra, namespace))):
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
    async with hub.procesregisseur() as pr:
        await pr.send(pr.erasure(case.case_id))
    for service in ("intake", "triage"):  # both confirmed in the ledger; casemeeting's waits
        await eventually(lambda s=service: all_confirmed(hub, s))
    return case.case_id


async def test_a_service_stopped_during_the_purge_completes_it_after_restart(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        case_id = await erased_while_casemeeting_is_down(hub, infra, namespace, police)
        waiting = {e.state for e in await ledger(hub) if e.service == "casemeeting"}
        async with started(create_casemeeting(settings_for(CasemeetingSettings, infra, namespace))):
            (done,) = await eventually(lambda: completed_by(infra, namespace, "casemeeting"), timeout_s=60)
            confirmed = await eventually(lambda: all_confirmed(hub, "casemeeting"))
    assert waiting == {"issued"}  # the purge waited on Kafka while casemeeting was down
    assert done["case_id"] == str(case_id) and set(done["counts"]) >= {Category.CASE_KEYS, Category.CASE_RECORD}
    assert confirmed


async def test_a_purge_not_confirmed_in_time_raises_an_overdue_event(infra: Infra, namespace: str) -> None:
    clock = AdjustableClock()
    async with running_hub(infra, namespace, retention_overrides={}, retention_clock=clock) as hub, Partner(
        infra, namespace
    ) as police:
        case_id = await erased_while_casemeeting_is_down(hub, infra, namespace, police)
        before = await events_on(infra, RETENTION_EVENTS, namespace, "retention.purge-overdue")
        clock.advance(hours=25)  # the shipped policy's confirm_within_hours is 24
        (overdue,) = await eventually(lambda: events_on(infra, RETENTION_EVENTS, namespace, "retention.purge-overdue"))
    assert before == []
    assert overdue["service"] == "casemeeting" and overdue["case_id"] == str(case_id)


async def test_a_redelivered_purge_command_changes_nothing(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.erasure(case.case_id))
        await eventually(lambda: at_least(lambda: completed_by(infra, namespace, "intake"), 1))
        commands = [r for r in await read_topic(infra, PURGE_COMMANDS, namespace) if b'"intake"' in r.value]
        producer = AIOKafkaProducer(**infra.admin().aiokafka())
        await producer.start()
        try:
            for record in commands:  # as Kafka would redeliver them: same bytes, same key
                await producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))
        finally:
            await producer.stop()
        # Something after the redelivery to wait for: a fresh case and its decline.
        await declined_case(hub, police)
        await eventually(lambda: at_least(lambda: _phase_entries(hub), 2))
        async with hub.intake.database.sessions() as s:
            records = (await s.execute(select(hub.intake.metadata.tables["purge_record"]))).all()
        intake_done = await completed_by(infra, namespace, "intake")
    assert len(commands) == 1
    assert len(records) == 1 and len(intake_done) == 1


async def _phase_entries(hub: Hub) -> list[str]:
    return sorted({e.case_ref for e in await ledger(hub)})


async def test_the_yearly_report_gives_the_same_figures_before_and_after_the_purges(infra: Infra, namespace: str) -> None:
    clock = AdjustableClock()
    year = str(datetime.now(ZoneInfo("Europe/Amsterdam")).year)
    async with running_hub(infra, namespace, retention_overrides={}, retention_clock=clock) as hub, Partner(
        infra, namespace
    ) as police:
        await declined_case(hub, police)
        await police.submit(a_referral(personal=someone_else()))
        await eventually(lambda: at_least(hub.cases, 2))
        entries = await eventually(lambda: ledger(hub))
        before = await zorgtafel(cli_env(hub), "report", "yearly", "--year", year, "--json")
        (record,) = {e.due_on for e in entries if e.category == Category.CASE_RECORD}
        clock.freeze(amsterdam_midnight(record))
        await eventually(lambda: all_confirmed(hub, "intake"), timeout_s=60)
        after = await zorgtafel(cli_env(hub), "report", "yearly", "--year", year, "--json")
        remaining = await hub.cases()
    assert before.returncode == 0, before.stderr[-500:]
    assert json.loads(before.stdout)["totals"] == {"referred": 2, "handled": 0, "afgeschaald": 0, "escalated": 0, "declined": 1}
    assert after.stdout == before.stdout
    assert len(remaining) == 1  # the declined case is gone from intake entirely; the other is still open




async def test_a_bad_record_among_purge_commands_is_dead_lettered_alone(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, retention_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        producer = AIOKafkaProducer(**infra.admin().aiokafka())
        await producer.start()
        try:  # in the same partition as the case's purges, just before them
            await producer.send_and_wait(PURGE_COMMANDS.named(f"{namespace}."), b"{not json", key=str(case.case_id).encode())
        finally:
            await producer.stop()
        async with hub.procesregisseur() as pr:
            await pr.send(pr.erasure(case.case_id))
        for service in ("intake", "triage"):
            await eventually(lambda s=service: all_confirmed(hub, s))
        dead = await read_topic(infra, DEAD_LETTER, namespace)
    letters = sorted((dict(r.headers)["zt-dlq-consumer"], dict(r.headers)["zt-dlq-reason"], r.value) for r in dead)
    assert letters == [(b"intake", b"undecodable", b"{not json"), (b"triage", b"undecodable", b"{not json")]
