"""The Procesregisseur's CLI answers (issue 14): a staff command waits for the hub's answer and
says whether it was carried out or refused and why, with an exit status to match, on the real
secured broker and PostgreSQL. Each command is answered once, however often it is delivered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.contracts.topics import STAFF_ANSWERS
from shared.security.staff_register import ensure_enrolled
from tests.infra import Infra
from tests.support import (
    PARTY,
    Partner,
    a_referral,
    at_least,
    cli_env,
    events_on,
    eventually,
    running_hub,
    zorgtafel,
)

pytestmark = pytest.mark.infra
STAFF = ("--by", "pr-cli")


async def test_each_refusal_prints_its_reason_code_and_exits_1_and_what_is_carried_out_exits_0(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await eventually(lambda: at_least(hub.cases, 1))
        env, case_id = cli_env(hub), str(case.case_id)
        unknown = await zorgtafel(env, "intake", "accept", str(uuid.uuid4()), *STAFF)
        accepted = await zorgtafel(env, "intake", "accept", case_id, *STAFF)
        asked_too_late = await zorgtafel(env, "intake", "ask", case_id, "--question", "Nog vragen?", *STAFF)
        await eventually(lambda: hub.triage_case(case.case_id))
        misspelt = await zorgtafel(env, "triage", "consult", case_id, "--party", "politie-oost-brabnt", "--question", "Bekend?", *STAFF)
        not_a_party = await zorgtafel(env, "parties", "leave", "gemeente-nergensland", "--effective-on", "2027-03-01", *STAFF)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr[-2000:]
    assert "intake.accept-referral" in accepted.stdout and "carried out by intake" in accepted.stdout
    for result, reason in ((unknown, "unknown_case"), (asked_too_late, "case_already_decided"),
                           (misspelt, "party_not_current"), (not_a_party, "not_a_party")):
        assert result.returncode == 1, result.stdout + result.stderr[-2000:]
        assert f"refused: {reason} (" in result.stdout, result.stdout


async def test_a_command_whose_proof_the_services_refuse_prints_the_proofs_reason(
    infra: Infra, namespace: str, tmp_path: Path
) -> None:
    """A laptop whose own register lists a staff member the services' register does not (an
    enrolment that never reached the services): the tool sends, the staff gate refuses."""
    async with running_hub(infra, namespace) as hub:
        ghost = f"pr-ghost-{namespace}"
        key = hub.intake.settings.staff_key_file(ghost)
        laptop_register = tmp_path / "register.json"
        ensure_enrolled(laptop_register, key, ghost, ("procesregisseur",), now=datetime.now(UTC), valid_for=timedelta(days=1))
        try:
            result = await zorgtafel({**cli_env(hub), "ZT_STAFF_REGISTER": str(laptop_register)},
                                     "intake", "accept", str(uuid.uuid4()), "--by", ghost)
        finally:
            key.unlink()
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "refused: staff_unknown (" in result.stdout


async def test_a_command_nobody_answers_in_time_says_which_service_to_look_at_and_exits_3(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace) as hub:  # no Casusoverleg running
        result = await zorgtafel(cli_env(hub), "meeting", "invite", str(uuid.uuid4()), "--party", PARTY,
                                 "--timeout", "2", *STAFF)
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    assert "no answer within 2 s: is casemeeting running?" in result.stdout


async def test_a_redelivered_command_is_answered_once(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await eventually(lambda: at_least(hub.cases, 1))
        async with hub.procesregisseur() as pr:
            accept = pr.signed(pr.accept(case.case_id))
            unproved = pr.accept(case.case_id)  # no proof: the staff gate refuses it
            for command in (accept, accept, unproved, unproved):
                await pr.publish(command)  # each twice, as a producer's retry would
            # One partition, handled in order: once the last command is answered the copies were handled.
            last = await pr.carry_out(pr.accept(uuid.uuid4()), timeout_s=30)
        answers = await events_on(infra, STAFF_ANSWERS, namespace)
    assert last is not None and last.reason == "unknown_case"
    by_command = {(a["command_id"], a["outcome"], a["reason"]) for a in answers}
    assert len(answers) == 3 == len(by_command)
    assert {(str(accept.command_id), "carried_out", None), (str(unproved.command_id), "refused", "proof_missing")} < by_command

