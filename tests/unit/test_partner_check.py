"""`zorgtafel partner check`: a party learns what the hub would answer, before sending anything
(issue 12, deliverable 6). The same validation as the hub's, with the party's own key."""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli import app
from shared.contracts.intake import AnswerQuestion, answer_aad
from shared.crypto import party_key, party_kid, seal_text
from tests.support import MASTER, OTHER_PARTY, PARTY, a_referral


def checked(tmp_path: Path, body: Any, *extra: str, raw: bytes | None = None) -> tuple[int, dict[str, Any] | str]:
    file = tmp_path / "message.json"
    file.write_bytes(raw if raw is not None else json.dumps(body).encode())
    result = CliRunner().invoke(app, ["partner", "check", str(file), "--party", PARTY, *extra])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.output


def codes(answer: Any) -> list[tuple[str, str]]:
    return [(r["path"], r["code"]) for r in answer["reasons"]]


def test_a_good_referral_would_be_received(tmp_path: Path) -> None:
    status, answer = checked(tmp_path, a_referral().model_dump(mode="json"))
    assert (status, answer) == (0, {"command_type": "aanmelding.submit-referral", "answer": "received", "reasons": []})


def test_a_referral_sealed_with_another_key_would_be_rejected(tmp_path: Path) -> None:
    status, answer = checked(tmp_path, a_referral(key=(party_kid(PARTY), party_key(MASTER, OTHER_PARTY))).model_dump(mode="json"))
    assert (status, codes(answer)) == (1, [("personal", "personal_data_unreadable")])


def test_a_referral_naming_another_partys_key_would_be_rejected(tmp_path: Path) -> None:
    status, answer = checked(tmp_path, a_referral(party=OTHER_PARTY).model_dump(mode="json"))
    assert (status, codes(answer)) == (1, [("personal.kid", "transport_key_not_yours")])


def test_a_value_the_schema_refuses_would_be_rejected_with_its_path(tmp_path: Path) -> None:
    body = a_referral().model_dump(mode="json")
    body["indicators"]["several_chains_needed"] = "true"
    body["municipality"] = "gemeente-amsterdam"
    status, answer = checked(tmp_path, body)
    assert (status, codes(answer)) == (1, [("indicators.several_chains_needed", "invalid_type")])


def test_an_answer_sealed_for_another_question_would_be_rejected(tmp_path: Path) -> None:
    key = party_key(MASTER, PARTY)
    question_id = uuid.uuid4()

    def answer(aad_question: uuid.UUID) -> dict[str, Any]:
        sealed = seal_text("Ja.", key, kid=party_kid(PARTY), aad=answer_aad(aad_question))
        return AnswerQuestion(command_id=uuid.uuid4(), issued_at=a_referral().issued_at, question_id=question_id,
                              answer=sealed).model_dump(mode="json")

    assert checked(tmp_path, answer(question_id))[0] == 0
    status, result = checked(tmp_path, answer(uuid.uuid4()))
    assert (status, codes(result)) == (1, [("answer", "personal_data_unreadable")])


def test_the_partys_own_key_file_is_used_and_must_be_its_alone(tmp_path: Path) -> None:
    key_file = tmp_path / "transport.key"
    key_file.write_text(base64.b64encode(party_key(MASTER, PARTY)).decode())
    os.chmod(key_file, 0o600)
    assert checked(tmp_path, a_referral().model_dump(mode="json"), "--key-file", str(key_file))[0] == 0
    os.chmod(key_file, 0o644)
    status, output = checked(tmp_path, a_referral().model_dump(mode="json"), "--key-file", str(key_file))
    assert status == 2 and "readable by others" in str(output)


def test_what_is_not_json_is_named_as_such(tmp_path: Path) -> None:
    status, answer = checked(tmp_path, None, raw=b"{not json")
    assert (status, codes(answer)) == (1, [("", "not_json")])


@pytest.mark.parametrize("kind", ["aanmelding.withdraw", None])
def test_an_unknown_message_type_would_be_rejected(tmp_path: Path, kind: str | None) -> None:
    status, answer = checked(tmp_path, {"command_type": kind})
    assert (status, codes(answer)) == (1, [("command_type", "unknown_message_type")])
