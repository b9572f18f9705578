import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from shared.contracts import Command, Event, ReferralPersonalData, ReferralReceived, SubmitReferral, TriageCaseOpened
from tests.support import a_referral, personal_data


def a_received(**changes: object) -> ReferralReceived:
    values: dict[str, object] = {
        "case_id": uuid.uuid4(),
        "producer": "intake",
        "correlation_id": uuid.uuid4(),
        "referrer_party": "politie-oost-brabant",
        "urgency": "regular",
    }
    values.update(changes)
    return ReferralReceived(**values)


def test_events_are_frozen() -> None:
    event = a_received()
    with pytest.raises(ValidationError):
        event.referrer_party = "someone-else"  # type: ignore[misc]


def test_event_envelope_is_filled_with_fresh_ids_and_utc_time() -> None:
    first, second = a_received(), a_received()
    assert first.event_id != second.event_id
    assert first.occurred_at.tzinfo is not None and first.occurred_at.utcoffset() == UTC.utcoffset(None)
    assert (first.event_type, first.schema_version) == ("aanmelding.referral-received", 1)


def test_case_id_must_be_an_opaque_uuid_not_a_bsn() -> None:
    with pytest.raises(ValidationError):
        a_received(case_id="111222333")


def test_events_ignore_fields_a_newer_producer_added() -> None:
    data = a_received().model_dump(mode="json") | {"added_in_v1_1": "x"}
    assert ReferralReceived.model_validate(data).referrer_party == "politie-oost-brabant"


def test_commands_reject_unknown_fields() -> None:
    data = a_referral().model_dump(mode="json") | {"referrer_party": "ggd-brabant-zuidoost"}
    with pytest.raises(ValidationError) as err:
        SubmitReferral.model_validate(data)
    assert err.value.errors()[0]["type"] == "extra_forbidden"


def test_a_message_type_cannot_be_overridden() -> None:
    data = a_received().model_dump(mode="json") | {"event_type": "triage.case-opened"}
    with pytest.raises(ValidationError):
        ReferralReceived.model_validate(data)


@pytest.mark.parametrize("reference", ["", "with space", "x" * 65, "ref;drop"])
def test_referrer_reference_must_be_a_short_safe_token(reference: str) -> None:
    with pytest.raises(ValidationError):
        a_referral(reference=reference or None, referrer_reference=reference)


def test_personal_data_needs_the_person_and_a_valid_birth_date() -> None:
    data = personal_data().model_dump(mode="json")
    data["person"]["date_of_birth"] = "not-a-date"
    with pytest.raises(ValidationError):
        ReferralPersonalData.model_validate(data)
    assert personal_data().person.date_of_birth < date.today()


def test_message_types_are_unique_across_contracts() -> None:
    types = [
        model.model_fields["event_type" if issubclass(model, Event) else "command_type"].default
        for model in (ReferralReceived, TriageCaseOpened, SubmitReferral)
    ]
    assert len(types) == len(set(types))
    assert all(isinstance(t, str) and t for t in types)


def test_idempotency_key_is_the_event_or_command_id() -> None:
    event, command = a_received(), a_referral()
    assert event.message_id == event.event_id
    assert command.message_id == command.command_id
    assert isinstance(command, Command) and command.issued_at <= datetime.now(UTC)
