import json

import pytest

from shared.telemetry.logging import REDACTED, redact_personal_fields
from tests.support import SEEDED_GIVEN_NAME


def test_fields_named_like_personal_data_are_redacted() -> None:
    line = redact_personal_fields(
        None,
        "info",
        {"event": "x", "given_name": "A", "bsn": "1", "date_of_birth": "d", "situation": "s", "case_id": "c"},
    )
    assert line == {
        "event": "x",
        "given_name": REDACTED,
        "bsn": REDACTED,
        "date_of_birth": REDACTED,
        "situation": REDACTED,
        "case_id": "c",
    }


def test_a_librarys_repeated_lines_are_rate_limited_json_without_the_exceptions_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from shared.telemetry.logging import configure_logging

    configure_logging()
    library = logging.getLogger("aiokafka.conn.unit")
    for _ in range(500):
        library.error("Unable connect to node with id %s: %r", 1, ConnectionError(SEEDED_GIVEN_NAME))
    try:
        raise ConnectionError(f"refused for {SEEDED_GIVEN_NAME}")
    except ConnectionError:
        library.error("Connection lost", exc_info=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"aiokafka.conn.unit"' in line]
    # The template with its arguments' types, not their values: those may quote data.
    assert len([line for line in lines if line["event"] == "Unable connect to node with id <int>: <ConnectionError>"]) == 5
    (lost,) = [line for line in lines if line["event"] == "Connection lost"]
    assert lost["error_type"] == "ConnectionError" and SEEDED_GIVEN_NAME not in json.dumps(lines)


def test_a_tool_can_send_every_line_to_a_file_that_the_services_it_starts_keep(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    import structlog

    from shared.telemetry.logging import configure_logging, stop_logging_to_file

    log_file = tmp_path / "demo" / "services.log"
    try:
        configure_logging(to=log_file)
        configure_logging()  # a service factory's own call, later: the file stays
        structlog.get_logger("unit").info("service.started", service_name="intake")
        logging.getLogger("aiokafka.unit.file").warning("Heartbeat failed for group %s", "g")
    finally:
        stop_logging_to_file()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["service.started", "Heartbeat failed for group <str>"]
    assert capsys.readouterr().err == ""
