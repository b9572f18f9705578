"""The Casusoverleg on the real broker and PostgreSQL: lawful invitations, consented pre-reads,
the meeting's decisions, execution of the plan, and afschaling."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.casemeeting.models import Action, MeetingCase
from shared.contracts.casemeeting import action_aad, item_aad
from shared.contracts.topics import AFSCHALING_EVENTS, HUB_TOPICS, MEETING_EVENTS, PLAN_OF_ACTION_EVENTS, partner_inbox
from shared.contracts.triage import DecisionType
from shared.crypto import Sealed
from tests.infra import Infra
from tests.support import (
    OTHER_PARTY,
    PARTY,
    Hub,
    Partner,
    a_referral,
    at_least,
    bodies,
    cli_env,
    events_on,
    eventually,
    inbox_of,
    read_topic,
    running_hub,
    zorgtafel,
)

pytestmark = pytest.mark.infra
GGD, COA = "ggd-brabant-zuidoost", "coa-grave"
PARTIES = (PARTY, OTHER_PARTY, GGD, COA)
DESIGNATED = (PARTY, OTHER_PARTY, GGD)


async def facts(infra: Infra, namespace: str, topic: Any = MEETING_EVENTS, *types: str) -> list[dict[str, Any]]:
    return await events_on(infra, topic, namespace, *types)


async def meeting_with_three_parties(hub: Hub, infra: Infra, namespace: str, partners: dict[str, Partner]) -> tuple[uuid.UUID, uuid.UUID]:
    """Referral -> intake -> triage -> a Casusoverleg with the designated parties invited and attending."""
    await partners[PARTY].submit(a_referral())
    (case,) = await hub.accept_all(1)
    async with hub.procesregisseur() as pr:
        await pr.send(pr.to_casusoverleg(
            case.case_id, goal="Veilige opvang regelen.", themes=("veiligheid",),
            decision_types=tuple(DecisionType), invite=DESIGNATED,
        ))
        await eventually(lambda: facts(infra, namespace, MEETING_EVENTS, "meeting.prepared"))
        schedule = pr.schedule(case.case_id, datetime.now(UTC) + timedelta(days=3))
        await pr.send(schedule)
        await pr.send(pr.invite(schedule.meeting_id, DESIGNATED))
    for code in DESIGNATED:
        (invitation,) = await inbox_of(partners[code], "meeting.invitation")
        await partners[code].send(partners[code].respond(uuid.UUID(invitation["invitation_id"]), attending=True))
    await eventually(lambda: at_least(lambda: facts(infra, namespace, MEETING_EVENTS, "meeting.invitation-answered"), 3))
    return case.case_id, schedule.meeting_id


async def invitation_id(partner: Partner) -> uuid.UUID:
    return uuid.UUID((await inbox_of(partner, "meeting.invitation"))[0]["invitation_id"])


async def test_pre_reads_reach_only_invited_parties_whose_supplier_consented(
    infra: Infra, namespace: str, capfd: pytest.CaptureFixture[str]
) -> None:
    secret_a, text_b, text_c = "Politie-informatie over de dader.", "GGD: medische context.", "VT: niet delen."
    async with running_hub(infra, namespace, partner_topics=PARTIES, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(infra, namespace, GGD) as ggd, Partner(
        infra, namespace, COA
    ) as coa:
        partners = {PARTY: police, OTHER_PARTY: vt, GGD: ggd}
        case_id, meeting_id = await meeting_with_three_parties(hub, infra, namespace, partners)
        item_a = police.supply(await invitation_id(police), secret_a)
        item_b = ggd.supply(await invitation_id(ggd), text_b)
        item_c = vt.supply(await invitation_id(vt), text_c, terms="do_not_share")
        for partner, item in ((police, item_a), (ggd, item_b), (vt, item_c)):
            await partner.send(item)
        await eventually(lambda: at_least(lambda: facts(infra, namespace, MEETING_EVENTS, "meeting.information-supplied"), 3))
        async with hub.procesregisseur() as pr:
            await pr.send(pr.share_beforehand(meeting_id, [item_a.item_id, item_b.item_id, item_c.item_id]))
        # Police agrees to share its item with the GGD but not with Veilig Thuis.
        for request in await inbox_of(police, "meeting.consent-request", 2):
            await police.send(police.consent(uuid.UUID(request["consent_id"]), granted=request["recipient"] == GGD))
        for request in await inbox_of(ggd, "meeting.consent-request", 2):
            await ggd.send(ggd.consent(uuid.UUID(request["consent_id"]), granted=True))
        await inbox_of(police, "meeting.pre-read")
        await inbox_of(ggd, "meeting.pre-read")
        vt_reads = await inbox_of(vt, "meeting.pre-read")
        consents = await facts(infra, namespace, MEETING_EVENTS, "meeting.pre-read-consent")
        vt_inbox, coa_inbox = await vt.read_inbox(), await coa.read_inbox()
        everything = [r for t in (*HUB_TOPICS, *(partner_inbox(p) for p in PARTIES)) for r in await read_topic(infra, t, namespace)]
        spans = repr([(s.name, dict(s.attributes or {}), s.events) for s in hub.spans.get_finished_spans()])
    logs = "".join(capfd.readouterr())

    assert [(r["item_id"], r["supplied_by"]) for r in vt_reads] == [(str(item_b.item_id), GGD)]
    assert vt.open(Sealed(**vt_reads[0]["content"]), aad=item_aad(item_b.item_id)) == text_b
    assert str(item_a.item_id) not in json.dumps(vt_inbox)  # the refused item never reached Veilig Thuis
    assert coa_inbox == []  # not invited: nothing about the case
    statuses = {(c["item_id"], c["recipient"], c["status"]) for c in consents}
    assert (str(item_a.item_id), OTHER_PARTY, "refused") in statuses
    assert (str(item_a.item_id), GGD, "granted") in statuses
    assert {s for i, _, s in statuses if i == str(item_c.item_id)} == {"withheld_by_terms"}
    for text in (secret_a, text_b, text_c):
        assert all(text.encode() not in r.value for r in everything)  # sealed everywhere on Kafka
        assert text not in logs and text not in spans


async def test_only_current_designated_parties_can_be_invited(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(infra, namespace, GGD) as ggd, Partner(
        infra, namespace, COA
    ) as coa:
        _, meeting_id = await meeting_with_three_parties(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        async with hub.procesregisseur() as pr:
            await pr.send(pr.invite(meeting_id, [COA]))  # current, but not designated for this case
            await pr.send(pr.invite(meeting_id, ["nep-partij"]))
        refused = await eventually(lambda: at_least(lambda: facts(infra, namespace, MEETING_EVENTS, "meeting.command-refused"), 2))
        assert await coa.read_inbox() == []
    assert sorted(e["reason"] for e in refused) == ["party_not_current", "party_not_designated"]


async def test_a_plan_with_an_overdue_action_a_carry_over_a_revision_and_afschaling(infra: Infra, namespace: str) -> None:
    yesterday, later = date.today() - timedelta(days=1), date.today() + timedelta(days=30)
    async with running_hub(
        infra, namespace, partner_topics=PARTIES, meeting_overrides={"overdue_scan_interval_s": 0.3}
    ) as hub, Partner(infra, namespace) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(
        infra, namespace, GGD
    ) as ggd:
        case_id, meeting_id = await meeting_with_three_parties(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        async with hub.procesregisseur() as pr:
            await pr.send(pr.attendance(meeting_id, present=[PARTY, OTHER_PARTY], apologies=[GGD]))
            await pr.send(pr.appoint(meeting_id, OTHER_PARTY))
            overdue_action = pr.action(PARTY, yesterday, "Aangifte opnemen.", "Adres van de opvang.")
            ggd_action = pr.action(GGD, later, "Medische intake.", "Geen.")
            await pr.send(pr.adopt_plan(meeting_id, [overdue_action, ggd_action]))
            police_actions = (await inbox_of(police, "meeting.your-actions"))[0]["actions"]
            assert [a["action_id"] for a in police_actions] == [str(overdue_action.action_id)]  # only its own
            text = police.open(Sealed(**police_actions[0]["information_need"]), aad=action_aad(overdue_action.action_id, "information_need"))
            assert text == "Adres van de opvang."
            (overdue,) = await eventually(lambda: facts(infra, namespace, PLAN_OF_ACTION_EVENTS, "plan.action-overdue"))
            await inbox_of(vt, "meeting.action-overdue")  # the Casusregisseur is told
            await ggd.send(ggd.progress(ggd_action.action_id, "done"))
            await eventually(lambda: facts(infra, namespace, PLAN_OF_ACTION_EVENTS, "plan.action-progressed"))

            follow_up = pr.schedule(case_id, datetime.now(UTC) + timedelta(days=14))
            await pr.send(follow_up)
            await pr.send(pr.invite(follow_up.meeting_id, DESIGNATED))
            await pr.send(pr.carry_over(follow_up.meeting_id, [(overdue_action.action_id, "not_possible_changed_circumstances")]))
            await pr.send(pr.carry_over(follow_up.meeting_id, [(ggd_action.action_id, "not_undertaken")]))  # done: refused
            revised = overdue_action.model_copy(update={"deadline": later})
            await pr.send(pr.adopt_plan(follow_up.meeting_id, [revised]))
            await eventually(lambda: at_least(lambda: facts(infra, namespace, PLAN_OF_ACTION_EVENTS, "plan.adopted"), 2))
            await pr.send(pr.afschaling(follow_up.meeting_id))  # no criteria yet: refused
            await pr.send(pr.afschaling_criteria(case_id, follow_up.meeting_id, "Veilig gehuisvest en in zorg."))
            await pr.send(pr.afschaling(follow_up.meeting_id))
            (afschaling,) = await eventually(lambda: facts(infra, namespace, AFSCHALING_EVENTS))
            await pr.send(pr.escalate(case_id))  # opschaling stays possible in this phase
        escalated = await eventually(lambda: _escalations(infra, namespace))
        refused = [e["reason"] for e in await facts(infra, namespace, MEETING_EVENTS, "meeting.command-refused")]
        carried = await facts(infra, namespace, PLAN_OF_ACTION_EVENTS, "plan.action-carried-over")
        assert hub.casemeeting is not None
        async with hub.casemeeting.database.sessions() as s:
            versions = sorted((a.version, str(a.action_id)) for a in (await s.scalars(select(Action))).all())
            case = await s.get(MeetingCase, case_id)

    assert (overdue["action_id"], overdue["casusregisseur"]) == (str(overdue_action.action_id), OTHER_PARTY)
    assert [(c["action_id"], c["why"]) for c in carried] == [(str(overdue_action.action_id), "not_possible_changed_circumstances")]
    assert sorted(refused) == ["action_done", "criteria_not_set"]
    assert versions == sorted([(1, str(overdue_action.action_id)), (1, str(ggd_action.action_id)), (2, str(overdue_action.action_id))])
    assert case is not None and case.status == "afgeschaald"
    assert afschaling["case_id"] == str(case_id) and set(afschaling["cleanse"]) == {"intake", "triage", "casemeeting"}
    assert "Veilig gehuisvest" not in json.dumps(afschaling)
    assert escalated[0]["phase"] == "casusoverleg"


async def _escalations(infra: Infra, namespace: str) -> list[dict[str, Any]]:
    from shared.contracts.topics import TRIAGE_EVENTS

    return [e for e in bodies(await read_topic(infra, TRIAGE_EVENTS, namespace)) if e["event_type"] == "triage.case-escalated"]


async def test_the_cli_drives_a_meeting_and_shows_it(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as vt, Partner(infra, namespace, GGD) as ggd:
        case_id, meeting_id = await meeting_with_three_parties(hub, infra, namespace, {PARTY: police, OTHER_PARTY: vt, GGD: ggd})
        env, m = cli_env(hub), str(meeting_id)
        deadline = (date.today() + timedelta(days=7)).isoformat()
        for args in (
            ["meeting", "attendance", m, "--present", PARTY, "--present", GGD, "--apologies", OTHER_PARTY, "--by", "pr-cli"],
            ["meeting", "appoint", m, GGD, "--by", "pr-cli"],
            ["meeting", "plan", m, "--action", f"{GGD}|{deadline}|Medische intake.|Verwijsbrief.", "--by", "pr-cli"],
        ):
            result = await zorgtafel(env, *args)
            assert result.returncode == 0, result.stderr[-500:]
        await eventually(lambda: facts(infra, namespace, PLAN_OF_ACTION_EVENTS, "plan.adopted"))
        shown = await zorgtafel(env, "meeting", "show", str(case_id), "--by", "pr-cli")
    state = json.loads(shown.stdout)
    assert state["casusregisseur"] == GGD
    assert [(a["responsible_party"], a["version"], a["status"]) for a in state["plan"]] == [(GGD, 1, "open")]
    assert state["meetings"][0]["apologies"] == [OTHER_PARTY]
    assert "Medische intake" not in shown.stdout
