"""Waiting for the hub's answer to a staff command (issue 14): the tool finds its own command's
answer among others', says when none came, and explains every reason code a service can give."""

from __future__ import annotations

import json
import typing
import uuid
from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from aiokafka import TopicPartition

from services.cli_staff_command import EXPLANATIONS, report
from services.procesregisseur_answers import Answers
from shared.contracts.casemeeting_events import MeetingCommandRefused
from shared.contracts.envelope import utcnow
from shared.contracts.intake import AcceptReferral, IntakeCommandRefused
from shared.contracts.rights import RetentionCommandRefused
from shared.contracts.staff import RefusalReason, StaffCommandAnswered
from shared.contracts.triage import TriageCommandRefused

PARTITION = TopicPartition("zorgtafel.staff.answers.v1", 0)


class FakeConsumer:
    """Hands out the given fetches in turn, then nothing; an empty fetch takes its whole timeout
    on the fake clock, as a fetch with nothing to read does."""

    def __init__(self, *fetches: list[bytes]) -> None:
        self.fetches = deque(fetches)
        self.now = 0.0

    async def getmany(self, *partitions: TopicPartition, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]:
        if not self.fetches:
            self.now += timeout_ms / 1000
            return {}
        return {PARTITION: [SimpleNamespace(value=v) for v in self.fetches.popleft()]}


def answer(command_id: uuid.UUID, reason: str | None = None) -> bytes:
    return StaffCommandAnswered(
        producer="intake", correlation_id=command_id, causation_id=command_id, command_id=command_id,
        command_type="intake.accept-referral", outcome="refused" if reason else "carried_out", reason=reason,
    ).model_dump_json().encode()


def answers(consumer: FakeConsumer, *expected: uuid.UUID) -> Answers:
    reader = Answers(consumer, clock=lambda: consumer.now)
    for command_id in expected:
        reader.expect(command_id)
    return reader


async def test_the_answer_to_the_command_is_found_among_answers_to_other_commands() -> None:
    mine, someone_elses = uuid.uuid4(), uuid.uuid4()
    reader = answers(FakeConsumer([answer(someone_elses)], [answer(mine, "unknown_case")]), mine)
    found = await reader.answer_to(mine, timeout_s=30)
    assert found is not None and (found.command_id, found.outcome, found.reason) == (mine, "refused", "unknown_case")


async def test_no_answer_within_the_timeout_is_none() -> None:
    consumer = FakeConsumer()
    mine = uuid.uuid4()
    assert await answers(consumer, mine).answer_to(mine, timeout_s=3) is None
    assert consumer.now == pytest.approx(3.0)  # it waited the whole timeout, not less


async def test_an_answer_that_came_while_waiting_for_another_is_kept_for_its_turn() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    reader = answers(FakeConsumer([answer(second), answer(first)]), first, second)
    assert (await reader.answer_to(first, timeout_s=30)).command_id == first  # type: ignore[union-attr]
    assert (await reader.answer_to(second, timeout_s=0.1)).command_id == second  # type: ignore[union-attr]


async def test_a_record_that_is_no_answer_is_passed_over() -> None:
    mine = uuid.uuid4()
    other_event = json.dumps({"event_type": "something.else", "command_id": str(mine)}).encode()
    reader = answers(FakeConsumer([b"{ not json", other_event, b""], [answer(mine)]), mine)
    found = await reader.answer_to(mine, timeout_s=30)
    assert found is not None and found.outcome == "carried_out"


def test_every_reason_code_a_service_or_the_staff_gate_gives_has_an_explanation() -> None:
    refusals = (IntakeCommandRefused, TriageCommandRefused, MeetingCommandRefused, RetentionCommandRefused)
    codes = {code for model in refusals for code in typing.get_args(model.model_fields["reason"].annotation)}
    codes |= set(typing.get_args(RefusalReason))
    assert codes - set(EXPLANATIONS) == set()


def accept() -> AcceptReferral:
    return AcceptReferral(command_id=uuid.uuid4(), issued_at=utcnow(), case_id=uuid.uuid4(), decided_by="pr-01")


def test_a_refusal_prints_its_reason_code_and_meaning_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    command = accept()
    refused = StaffCommandAnswered.model_validate_json(answer(command.command_id, "unknown_case"))
    with pytest.raises(typer.Exit) as exit_:
        report(command, refused, 30)
    out = capsys.readouterr().out
    assert exit_.value.exit_code == 1
    assert f"{command.command_id}: refused: unknown_case (intake knows no case with this id)" in out


def test_no_answer_names_the_service_to_look_at_and_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    command = accept()
    with pytest.raises(typer.Exit) as exit_:
        report(command, None, 2.5)
    assert exit_.value.exit_code == 3
    assert "no answer within 2.5 s: is intake running?" in capsys.readouterr().out


def test_a_command_carried_out_says_so_and_returns(capsys: pytest.CaptureFixture[str]) -> None:
    command = accept()
    report(command, StaffCommandAnswered.model_validate_json(answer(command.command_id)), 30)
    assert f"{command.command_id}: carried out by intake" in capsys.readouterr().out


def test_an_answer_has_a_reason_code_exactly_when_refused_and_never_free_text() -> None:
    values = {"producer": "intake", "correlation_id": uuid.uuid4(), "command_id": uuid.uuid4(), "command_type": "x"}
    with pytest.raises(ValueError, match="a refusal has a reason code"):
        StaffCommandAnswered(**values, outcome="refused")
    with pytest.raises(ValueError, match="a refusal has a reason code"):
        StaffCommandAnswered(**values, outcome="carried_out", reason="unknown_case")
    with pytest.raises(ValueError, match="pattern"):
        StaffCommandAnswered(**values, outcome="refused", reason="Unknown case 123, Jan Jansen")
