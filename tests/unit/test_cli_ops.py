"""`zorgtafel ops` answers bad input and an unreachable broker in one line, never a traceback."""

import pytest
from typer.testing import CliRunner

from services.cli import app


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("ZT_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")


@pytest.mark.parametrize("command", [["ops", "lag"], ["ops", "dlq", "list"], ["ops", "dlq", "show", "0"]])
def test_an_unreachable_broker_is_one_line_naming_it_and_exit_1(nowhere: None, command: list[str]) -> None:
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "127.0.0.1:1 did not serve this" in result.output and "Traceback" not in result.output


def test_a_url_for_a_service_that_does_not_exist_is_a_usage_error(nowhere: None) -> None:
    result = CliRunner().invoke(app, ["ops", "status", "--url", "intak=http://127.0.0.1:8101"])
    assert result.exit_code == 2 and "'intak' is not a service" in result.output


def test_a_replay_needs_offsets_or_all_but_not_both() -> None:
    assert CliRunner().invoke(app, ["ops", "dlq", "replay", "--by", "ops-anna-01"]).exit_code == 2
    assert CliRunner().invoke(app, ["ops", "dlq", "replay", "3", "--all", "--by", "ops-anna-01"]).exit_code == 2


def test_a_replay_operator_id_is_pseudonymous_not_a_name() -> None:
    result = CliRunner().invoke(app, ["ops", "dlq", "replay", "3", "--by", "Anna de Vries"])
    assert result.exit_code == 2 and "operator id" in result.output


def test_a_malformed_setting_is_named_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZT_HTTP_PORT", "not-a-port-s3cret")
    result = CliRunner().invoke(app, ["ops", "lag"])
    assert result.exit_code == 2 and "ZT_HTTP_PORT" in result.output and "s3cret" not in result.output


def test_a_missing_credential_is_said_as_such_not_as_a_broker_fault(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("ZT_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.delenv("ZT_KAFKA_PASSWORD", raising=False)
    result = CliRunner().invoke(app, ["ops", "dlq", "list"])
    assert result.exit_code == 1 and "zt-operations.password" in result.output and "did not serve" not in result.output
