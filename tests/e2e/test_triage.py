"""Triage on the real broker and PostgreSQL: consultation, criteria, decisions, opschaling."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.aanmelding import Indicators, LifeDomain
from shared.contracts.intake import outcome_aad
from shared.contracts.topics import AUDIT_EVENTS, TRIAGE_EVENTS
from shared.contracts.triage import DecisionType, consultation_question_aad
from shared.crypto import Sealed
from tests.infra import Infra
from tests.support import (
    OTHER_PARTY,
    PARTY,
    Hub,
    Partner,
    a_referral,
    at_least,
    cli_env,
    events_on,
    eventually,
    inbox_of,
    running_hub,
    zorgtafel,
)

pytestmark = pytest.mark.infra
GGD, COA = "ggd-brabant-zuidoost", "coa-grave"
PARTIES = (PARTY, OTHER_PARTY, GGD, COA)
QUESTION = "Is betrokkene bij u bekend, en op welke leefgebieden speelt iets?"


async def triaged_case(hub: Hub, partner: Partner, **referral: Any) -> uuid.UUID:
    await partner.submit(a_referral(**referral))
    (case,) = await hub.accept_all(1)
    return case.case_id


async def events(infra: Infra, namespace: str, *types: str) -> list[dict[str, Any]]:
    return await events_on(infra, TRIAGE_EVENTS, namespace, *types)


async def refused(infra: Infra, namespace: str, n: int = 1) -> list[str]:
    found = await eventually(lambda: at_least(lambda: events(infra, namespace, "triage.command-refused"), n))
    return [e["reason"] for e in found]


async def test_a_full_triage_with_three_parties_one_answering_late_and_one_never(infra: Infra, namespace: str) -> None:
    # Wide enough for a loaded CI machine: Veilig Thuis must answer before the reminder.
    deadlines = {"consultation_deadline_s": 16.0, "reminder_before_s": 8.0}
    async with running_hub(infra, namespace, partner_topics=PARTIES, triage_overrides=deadlines) as hub, Partner(
        infra, namespace
    ) as police, Partner(infra, namespace, OTHER_PARTY) as veilig_thuis, Partner(infra, namespace, GGD) as ggd, Partner(
        infra, namespace, COA
    ) as coa:
        # The referrer sees only one life domain and does not know about chains: not yet a case.
        case_id = await triaged_case(
            hub, police, indicators=Indicators(serious_local_safety_problem=True, life_domains=(LifeDomain.SAFETY,))
        )
        async with hub.procesregisseur() as pr:
            await pr.send(pr.consult(case_id, [OTHER_PARTY, GGD, COA], QUESTION))
        # Veilig Thuis answers at once, before any reminder.
        vt_request = (await inbox_of(veilig_thuis, "triage.consultation-request"))[0]
        vt_id = uuid.UUID(vt_request["consultation_id"])
        await veilig_thuis.send(veilig_thuis.answer_consultation(
            vt_id, "Bekend: zorgen over de kinderen.",
            Indicators(several_chains_needed=True, life_domains=(LifeDomain.FAMILY_AND_PARENTING,)),
        ))
        requests = {p.party: (await inbox_of(p, "triage.consultation-request"))[0] for p in (veilig_thuis, ggd, coa)}
        for p, request in zip((veilig_thuis, ggd, coa), requests.values(), strict=True):
            aad = consultation_question_aad(uuid.UUID(request["consultation_id"]))
            assert p.open(Sealed(**request["question"]), aad=aad) == QUESTION
            assert "case_id" not in request  # the question carries only what it needs
        ggd_id, coa_id = (uuid.UUID(requests[p]["consultation_id"]) for p in (GGD, COA))

        await inbox_of(ggd, "triage.consultation-reminder")  # GGD is late: it answers after the reminder
        await ggd.send(ggd.answer_consultation(ggd_id, "Bekend bij de GGD.", Indicators(life_domains=(LifeDomain.MENTAL_HEALTH,))))
        await inbox_of(coa, "triage.consultation-reminder")
        timed_out = await eventually(lambda: events(infra, namespace, "triage.consultation-timed-out"), timeout_s=40)
        await coa.send(coa.answer_consultation(coa_id, "Te laat.", Indicators()))
        late = (await inbox_of(coa, "triage.consultation-answer-rejected"))[0]
        flow = await events(infra, namespace)

    assert [e["party"] for e in timed_out] == [COA]
    assert [(r["path"], r["code"]) for r in late["reasons"]] == [("consultation_id", "consultation_closed")]
    answered = [(e["party"], e["after_reminder"]) for e in flow if e["event_type"] == "triage.consultation-answered"]
    assert answered == [(OTHER_PARTY, False), (GGD, True)]
    reminded = {e["party"] for e in flow if e["event_type"] == "triage.consultation-reminder-sent"}
    assert reminded == {GGD, COA}
    evaluations = [e for e in flow if e["event_type"] == "triage.criteria-evaluated"]
    assert evaluations[0]["qualifies"] == "does_not_hold"  # the referrer alone: one domain, C unknown
    last = evaluations[-1]
    assert last["qualifies"] == "holds"
    assert last["life_domains"] == ["family_and_parenting", "mental_health", "safety"]
    assert [e["party"] for e in last["c_several_chains"]["supporting"]] == [OTHER_PARTY]
    assert {e["source"] for e in last["d_several_life_domains"]["supporting"]} == {"referrer", "answer"}


async def test_an_answer_from_a_party_that_was_not_asked_is_rejected(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, GGD
    ) as ggd, Partner(infra, namespace, COA) as coa:
        case_id = await triaged_case(hub, police)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.consult(case_id, [GGD], QUESTION))
        request = (await inbox_of(ggd, "triage.consultation-request"))[0]
        await coa.send(coa.answer_consultation(uuid.UUID(request["consultation_id"]), "Ik ook!", Indicators()))
        rejected = (await inbox_of(coa, "triage.consultation-answer-rejected"))[0]
        assert await events(infra, namespace, "triage.consultation-answered") == []
    assert [(r["path"], r["code"]) for r in rejected["reasons"]] == [("consultation_id", "unknown_question")]


async def test_an_answer_is_acknowledged_a_repeat_gets_the_same_answer_and_a_reused_id_is_refused(
    infra: Infra, namespace: str
) -> None:
    """Every partner message gets an answer, in triage too (issue 12, deliverable 5)."""
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, GGD
    ) as ggd:
        case_id = await triaged_case(hub, police)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.consult(case_id, [GGD], QUESTION))
        consultation_id = uuid.UUID((await inbox_of(ggd, "triage.consultation-request"))[0]["consultation_id"])
        answer = ggd.answer_consultation(consultation_id, "Bekend bij de GGD.", Indicators())
        await ggd.send(answer)
        await inbox_of(ggd, "hub.message-acknowledged")
        await ggd.send(answer)  # the same message again
        other = ggd.answer_consultation(consultation_id, "Toch niet.", Indicators()).model_copy(
            update={"command_id": answer.command_id}
        )
        await ggd.send(other)
        rejected = (await inbox_of(ggd, "triage.consultation-answer-rejected"))[0]
        acknowledged = await inbox_of(ggd, "hub.message-acknowledged", 2)
        answered = await events(infra, namespace, "triage.consultation-answered")
    assert [(a["acknowledged_message_id"], a["command_type"]) for a in acknowledged] == [
        (str(answer.command_id), "triage.answer-consultation")
    ] * 2
    assert [(r["path"], r["code"]) for r in rejected["reasons"]] == [("command_id", "command_id_reused")]
    assert len(answered) == 1


async def test_a_party_is_consulted_only_when_current_once_per_question_and_with_time_to_answer(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        case_id = await triaged_case(hub, police)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.consult(case_id, ["nep-partij"], QUESTION))
            first = pr.consult(case_id, [GGD], QUESTION)
            await pr.send(first)
            again = first.model_copy(update={"command_id": uuid.uuid4(), "parties": (GGD, COA)})
            await pr.send(again)
            await pr.send(pr.consult(case_id, [COA], QUESTION, answer_before=datetime.now(UTC) - timedelta(days=1)))
        reasons = await refused(infra, namespace, 3)
        sent = await events(infra, namespace, "triage.consultation-sent")
    assert sorted(reasons) == ["deadline_passed", "party_already_asked", "party_not_current"]
    assert [e["party"] for e in sent] == [GGD]


async def test_routing_to_a_casusoverleg_records_the_brief_and_tells_the_referrer(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        case_id = await triaged_case(hub, police)
        async with hub.procesregisseur() as pr:
            await pr.send(pr.to_casusoverleg(
                case_id, goal="Veilige opvang en een plan voor schuldhulp.", themes=("veiligheid", "huisvesting"),
                decision_types=(DecisionType.APPOINT_CASUSREGISSEUR, DecisionType.PLAN_VAN_AANPAK),
                invite=(PARTY, GGD, OTHER_PARTY),
            ))
        (decided,) = await eventually(lambda: events(infra, namespace, "triage.decided"))
        outcome = (await inbox_of(police, "triage.outcome"))[0]
        case = await hub.triage_case(case_id)
    assert (decided["route"], decided["criteria"], decided["justified"]) == ("casusoverleg", "holds", False)
    assert decided["meeting"]["invite"] == [PARTY, GGD, OTHER_PARTY]
    assert "Veilige opvang" not in str(decided)  # the goal travels sealed
    assert outcome["outcome"] == "casusoverleg" and case is not None and case.status == "casusoverleg"


async def test_not_a_zorgtafel_case_against_the_criteria_needs_a_justification(infra: Infra, namespace: str) -> None:
    reason = "Eén keten volstaat; verwezen naar het wijkteam."
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        referral = a_referral()
        await police.submit(referral)
        (case,) = await hub.accept_all(1)  # the referrer's indicators make the criteria hold
        async with hub.procesregisseur() as pr:
            await pr.send(pr.not_a_zorgtafel_case(case.case_id, reason))
            assert await refused(infra, namespace) == ["justification_required"]
            await pr.send(pr.not_a_zorgtafel_case(case.case_id, reason, justification="Wijkteam heeft het al in handen."))
        (decided,) = await eventually(lambda: events(infra, namespace, "triage.decided"))
        outcome = (await inbox_of(police, "triage.outcome"))[0]
    assert (decided["route"], decided["justified"]) == ("not_a_zorgtafel_case", True)
    aad = outcome_aad(PARTY, referral.referrer_reference)
    assert police.open(Sealed(**outcome["reason"]), aad=aad) == reason


async def test_a_casusoverleg_against_the_criteria_is_refused_without_justification(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        case_id = await triaged_case(hub, police, indicators=Indicators(several_chains_needed=False))
        async with hub.procesregisseur() as pr:
            brief = {"goal": "x", "themes": ("veiligheid",), "decision_types": (DecisionType.PLAN_VAN_AANPAK,)}
            await pr.send(pr.to_casusoverleg(case_id, invite=(PARTY,), **brief))
            await pr.send(pr.to_casusoverleg(case_id, invite=(PARTY, "nep-partij"), justification="j", **brief))
            assert sorted(await refused(infra, namespace, 2)) == ["justification_required", "party_not_current"]
        assert (await hub.triage_case(case_id)).status == "open"  # type: ignore[union-attr]


async def test_opschaling_is_possible_after_the_triage_decision(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        case_id = await triaged_case(hub, police, municipality="gemeente-helmond")
        async with hub.procesregisseur() as pr:
            await pr.send(pr.to_casusoverleg(
                case_id, goal="Doorbraak nodig.", themes=("veiligheid",),
                decision_types=(DecisionType.PLAN_VAN_AANPAK,), invite=(PARTY,),
            ))
            await eventually(lambda: events(infra, namespace, "triage.decided"))
            await asyncio.sleep(0)  # a later phase: the case is with the Casusoverleg now
            await pr.send(pr.escalate(case_id))
        (escalated,) = await eventually(lambda: events(infra, namespace, "triage.case-escalated"))
        outcomes = [n["outcome"] for n in await inbox_of(police, "triage.outcome", 2)]
    assert (escalated["house"], escalated["phase"]) == ("brabant-zuidoost", "casusoverleg")
    assert outcomes == ["casusoverleg", "opschaling"]


async def test_the_cli_drives_triage_and_shows_its_state(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES) as hub, Partner(infra, namespace) as police:
        case_id = await triaged_case(hub, police)
        env = cli_env(hub)
        consult = ["triage", "consult", str(case_id), "--party", GGD, "--question", QUESTION, "--by", "pr-cli"]
        assert (await zorgtafel(env, *consult)).returncode == 0
        await eventually(lambda: events(infra, namespace, "triage.consultation-sent"))
        shown = await zorgtafel(env, "triage", "show", str(case_id), "--by", "pr-cli")
        recorded = await events_on(infra, AUDIT_EVENTS, namespace, "audit.access-recorded")
    (viewed,) = [r for r in recorded if r["kind"] == "view"]
    (asked,) = [r for r in recorded if r["view"] == "triage.consultation-request"]  # disclosed to the GGD
    state = json.loads(shown.stdout)
    assert (viewed["actor"], viewed["view"]) == ("pr-cli", "triage-state")
    assert viewed["data_subject_id"] == hub.triage.pseudonymizer.subject_id(case_id)  # never the case id
    assert (asked["actor"], asked["role"], asked["view"]) == (GGD, "consulted-party", "triage.consultation-request")
    assert state["status"] == "open" and state["criteria"]["qualifies"] == "holds"
    assert [(c["party"], c["status"]) for c in state["consultations"]] == [(GGD, "asked")]
    assert QUESTION not in shown.stdout
