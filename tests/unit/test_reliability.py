import json

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.contracts import ReferralPersonalData, SubmitReferral
from shared.messaging.reliability import PoisonMessageError, ReliableConsumption, classify
from tests.support import SEEDED_VALUES, a_referral, personal_data


def invalid_referral_error(**changes: object) -> ValidationError:
    data = a_referral().model_dump(mode="json") | changes
    with pytest.raises(ValidationError) as err:
        SubmitReferral.model_validate(data)
    return err.value


def test_schema_invalid_messages_are_poison_described_by_field_path_and_type() -> None:
    exc = invalid_referral_error(urgency="whenever")
    assert classify(exc) == ("schema-invalid", "urgency:literal_error")


def test_the_description_of_an_invalid_message_never_quotes_its_values() -> None:
    data = personal_data().model_dump(mode="json")
    data["person"]["date_of_birth"] = f"{SEEDED_VALUES[0]} {SEEDED_VALUES[1]}"
    data[SEEDED_VALUES[0]] = SEEDED_VALUES[3]  # an unknown field named after the person
    with pytest.raises(ValidationError) as err:
        ReferralPersonalData.model_validate(data)
    reason, detail = classify(err.value) or ("", "")
    assert reason == "schema-invalid"
    assert "person.date_of_birth:date_parsing" in detail
    assert "<unknown-field>:extra_forbidden" in detail
    for value in SEEDED_VALUES:
        assert value not in detail


def test_undecodable_messages_are_poison() -> None:
    with pytest.raises(json.JSONDecodeError) as err:
        json.loads("{not json")
    assert classify(err.value) == ("undecodable", "JSONDecodeError")


def test_a_poison_message_error_keeps_its_reason() -> None:
    assert classify(PoisonMessageError("unknown-message-type", "type unknown")) == (
        "unknown-message-type",
        "type unknown",
    )


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("SELECT 1", {}, ConnectionRefusedError()),
        IntegrityError("INSERT", {}, Exception()),
        RuntimeError("bug"),
    ],
)
def test_other_failures_are_retried_not_dead_lettered_at_once(exc: Exception) -> None:
    assert classify(exc) is None


def test_backoff_doubles_and_is_capped() -> None:
    policy = ReliableConsumption(consumer_name="t", base_delay_s=0.5, max_delay_s=4.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_service_stopped_for_a_broken_producer_asks_its_supervisor_for_a_restart() -> None:
    import signal

    from shared.messaging import errors as reliability

    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        ReliableConsumption("probe").on_fatal()
    finally:
        signal.signal(signal.SIGTERM, previous)
        restart = reliability.restart_requested()
        reliability._restart.clear()
    assert received == [signal.SIGTERM] and restart and reliability.RESTART_EXIT_STATUS != 0
