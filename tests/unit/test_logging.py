from shared.telemetry.logging import REDACTED, redact_personal_fields


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
