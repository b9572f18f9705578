"""What operations are shown of a dead letter (shared/operations/dead_letters.py) and what a
replay records (shared/contracts/operations.py): never content, and every reason the hub writes."""

import uuid

from aiokafka import ConsumerRecord

from shared.contracts.operations import DeadLetterReplayed
from shared.operations.dead_letters import DeadLetter, field_names


def letter(value: bytes, **headers: str) -> DeadLetter:
    found = {"zt-dlq-reason": "schema-invalid", "zt-dlq-consumer": "intake", "zt-dlq-topic": "zorgtafel.partner.x.inbound.v1",
             "zt-dlq-partition": "0", "zt-dlq-offset": "7", **headers}
    record = ConsumerRecord("zorgtafel.dead-letter.v1", 0, 3, 0, 0, None, value, None, 0, len(value),
                            tuple((k, v.encode()) for k, v in found.items()))
    return DeadLetter.from_record(record)


def test_a_key_a_sender_typed_is_never_shown_only_field_names_are() -> None:
    shown = field_names(b'{"Jan de Vries 123456782": 1, "command_type": "x", "personal": {}}')
    assert shown == ["<unknown-field>", "command_type", "personal"]


def test_what_is_not_a_json_object_is_named_not_shown() -> None:
    assert field_names(b"{ Marijke") == "not JSON" and field_names(b'["Marijke"]') == "JSON list"


def test_a_malformed_origin_header_lists_the_letter_as_not_replayable() -> None:
    broken = letter(b"{}", **{"zt-dlq-partition": "zero", "zt-dlq-offset": "-5"})
    assert (broken.origin_partition, broken.origin_offset, broken.replayable) == (-1, -1, False)
    assert letter(b"{}").replayable


def test_a_replay_record_keeps_the_hubs_hyphenated_reason_codes() -> None:
    record = DeadLetterReplayed(
        producer="operations", correlation_id=uuid.uuid4(), operator="ops-anna-01", dead_letter_topic="zorgtafel.dead-letter.v1",
        dead_letter_offset=3, origin_topic="zorgtafel.partner.x.inbound.v1", origin_partition=0, origin_offset=7,
        replayed_offset=8, consumer="intake", reason="schema-invalid",
    )
    assert record.reason == "schema-invalid"
