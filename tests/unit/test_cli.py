"""The `zorgtafel` command, where it needs no broker: the register and the published schemas."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app, json_schemas

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@pytest.fixture
def local_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/zorgtafel.db")
    return tmp_path


def test_parties_list_json_prints_the_68_signatories(local_database: Path) -> None:
    result = CliRunner().invoke(app, ["parties", "list", "--json"])
    assert result.exit_code == 0, result.output
    parties = json.loads(result.stdout)
    assert len(parties) == 68
    assert {p["kind"] for p in parties} == {"municipality", "organisation"}
    coa_overloon = next(p for p in parties if p["code"] == "coa-overloon")
    assert coa_overloon["seat"] is None and coa_overloon["office_address"] is None
    assert (local_database / "zorgtafel-intake.db").exists()


def test_parties_list_shows_every_code_whole_on_a_narrow_terminal(local_database: Path) -> None:
    codes = [p["code"] for p in json.loads(CliRunner().invoke(app, ["parties", "list", "--json"]).stdout)]
    result = CliRunner().invoke(app, ["parties", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    shown = {line.split("│")[1].strip() for line in result.stdout.splitlines() if line.count("│") > 2}
    assert set(codes) <= shown


def test_parties_list_on_a_date_that_is_none_is_a_usage_error(local_database: Path) -> None:
    result = CliRunner().invoke(app, ["parties", "list", "--on", "2026-13-01"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "is not a day" in result.output and "Traceback" not in result.output


def test_the_committed_json_schemas_are_the_generated_ones() -> None:
    for name, text in json_schemas().items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, f"run: zorgtafel schemas ({name})"


def test_the_referral_schema_keeps_personal_data_sealed() -> None:
    schema = json.loads(json_schemas()["submit-referral.v1.json"])
    assert "person" not in schema["properties"] and "personal" in schema["required"]
    personal = json.loads(json_schemas()["referral-personal-data.v1.json"])
    assert {"person", "situation", "consent", "professional"} <= set(personal["required"])


def test_a_staff_command_without_the_staff_members_key_says_how_to_enrol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["intake", "accept", "0b7f7d0e-55a1-4c1f-9a57-8e0f3c3f2d11", "--by", "pr-01"])
    assert result.exit_code == 2 and "zorgtafel staff enrol" in result.output
    assert "Traceback" not in result.output


def test_staff_enrol_then_list_shows_the_key_and_roles_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    enrolled = CliRunner().invoke(app, ["staff", "enrol", "pr-01", "--role", "manager"])
    listed = CliRunner().invoke(app, ["staff", "list"])
    assert enrolled.exit_code == 0 and listed.exit_code == 0, enrolled.output + listed.output
    key_id = enrolled.output.split("key ")[1].split(",")[0]
    assert key_id in listed.output and "manager" in listed.output
    private = (tmp_path / "staff" / "keys" / "pr-01.key").read_text()
    assert private.splitlines()[1] not in listed.output + enrolled.output
