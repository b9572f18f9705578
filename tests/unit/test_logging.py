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
        library.error("Unable connect to node with id %s", 1)
    try:
        raise ConnectionError(f"refused for {SEEDED_GIVEN_NAME}")
    except ConnectionError:
        library.error("Connection lost", exc_info=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"aiokafka.conn.unit"' in line]
    # The template, not its arguments: those may quote data.
    assert len([line for line in lines if line["event"] == "Unable connect to node with id %s"]) == 5
    (lost,) = [line for line in lines if line["event"] == "Connection lost"]
    assert lost["error_type"] == "ConnectionError" and SEEDED_GIVEN_NAME not in json.dumps(lines)
