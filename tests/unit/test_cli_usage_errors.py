"""A staff command given a malformed id or date stops with a usage error that says what it
expected (exit 2), before it signs or sends anything, never with a traceback (issue 14: a short
case id or a bad date gave a 40-line traceback)."""

from datetime import date

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.cli_params import PlanAction, plan_action

CASE = "0b7f7d0e-55a1-4c1f-9a57-8e0f3c3f2d11"
NOT_A_UUID = "is a UUID"
NOT_A_DAY = "is not a day"
NOT_A_MOMENT = "date-time with offset"


@pytest.mark.parametrize(("argv", "says"), [
    (["intake", "accept", "0b7f7d0e"], NOT_A_UUID),
    (["intake", "decline", "case-12", "--reason", "r"], NOT_A_UUID),
    (["intake", "ask", "12", "--question", "q"], NOT_A_UUID),
    (["triage", "consult", "x", "--party", "p", "--question", "q"], NOT_A_UUID),
    (["triage", "consult", CASE, "--party", "p", "--question", "q", "--answer-before", "tomorrow"], NOT_A_MOMENT),
    (["triage", "show", "x"], NOT_A_UUID),
    (["meeting", "schedule", CASE, "--at", "2026-12-01T10:00"], NOT_A_MOMENT),
    (["meeting", "invite", "meeting-1", "--party", "p"], NOT_A_UUID),
    (["meeting", "share", CASE, "--item", "item-1"], NOT_A_UUID),
    (["meeting", "plan", CASE, "--action", "p|2026-02-30|do|know"], NOT_A_DAY),
    (["meeting", "plan", CASE, "--action", "p|2026-02-28|do"], "party|YYYY-MM-DD"),
    (["meeting", "carry-over", CASE, "--action", f"{CASE}"], "<action id>:<why"),
    (["meeting", "carry-over", CASE, "--action", "a1:not_undertaken"], NOT_A_UUID),
    (["meeting", "criteria", CASE, "m", "--text", "t"], NOT_A_UUID),
    (["parties", "leave", "p", "--effective-on", "2026-13-01"], NOT_A_DAY),
    (["parties", "exclude", "p", "--effective-on", "1-1-2026"], NOT_A_DAY),
    (["parties", "admit", "p", "P", "--sector", "s", "--effective-on", "soon"], NOT_A_DAY),
    (["trail", "x"], NOT_A_UUID),
    (["retention", "ledger", "x"], NOT_A_UUID),
])
def test_a_malformed_id_or_date_is_a_usage_error_that_says_what_was_expected(argv: list[str], says: str) -> None:
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_a_plan_action_reaches_the_command_parsed_into_its_four_parts() -> None:
    # Split at the first three bars only: the information need may hold a bar of its own.
    assert plan_action("ggd-brabant-zuidoost|2026-03-01|Medische intake.|Verwijsbrief | uitslag.") == PlanAction(
        "ggd-brabant-zuidoost", date(2026, 3, 1), "Medische intake.", "Verwijsbrief | uitslag."
    )
