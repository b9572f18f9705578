"""The Procesregisseur's work queue (`zorgtafel intake list`, issue 14: case ids had to be found
in log lines), on the real broker and PostgreSQL: what waits for a judgement (art. 12.2a), oldest
first, nothing of the person, and every listed case's look logged before it is shown (Bijlage 3)."""

from __future__ import annotations

import json

import pytest

from services.audit.view import access_records, subject_of
from tests.infra import Infra
from tests.support import (
    PARTY,
    Partner,
    a_referral,
    at_least,
    cli_env,
    eventually,
    running_hub,
    someone_else,
    zorgtafel,
)

pytestmark = pytest.mark.infra


async def test_intake_list_shows_what_waits_for_a_judgement_and_logs_each_look(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, audit_overrides={}) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral("R-JUDGED"))
        await police.submit(a_referral("R-WAITING", personal=someone_else()))
        judged, waiting = await eventually(lambda: at_least(hub.cases, 2))
        await hub.accept(judged.case_id)
        await eventually(lambda: hub.triage_case(judged.case_id))  # intake has judged it
        shown = await zorgtafel(cli_env(hub), "intake", "list", "--by", "pr-cli", "--json")
        table = await zorgtafel(cli_env(hub), "intake", "list", "--by", "pr-cli")
        assert hub.audit is not None
        settings = hub.audit.settings
        looks = await eventually(lambda: at_least(
            lambda: access_records(subject=subject_of(waiting.case_id, settings), settings=settings), 2))
    assert shown.returncode == 0, shown.stderr[-2000:]
    (listed,) = json.loads(shown.stdout)
    assert listed["case_id"] == str(waiting.case_id) and listed["referrer_party"] == PARTY
    assert listed["open_questions"] == 0 and listed["age_hours"] >= 0
    assert set(listed) == {"case_id", "referrer_party", "municipality", "urgency", "age_group", "received_at",
                           "age_hours", "open_questions"}  # nothing of the person
    assert str(waiting.case_id) in table.stdout and str(judged.case_id) not in table.stdout
    assert [(r["actor"], r["view"], r["actor_check"]) for r in looks] == [("pr-cli", "intake-worklist", "verified")] * 2
