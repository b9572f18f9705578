"""Batch consumption's pure parts: each record parsed on its own, a case's purges kept in order."""

import json
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

from shared.contracts.retention import PurgeCase
from shared.messaging.batch import Poison, parse_record
from shared.retention.categories import Category
from shared.retention.purge import _one_per_case
from tests.support import SEEDED_VALUES

MODELS = {"retention.purge-case": PurgeCase}


def a_purge(case_id: uuid.UUID | None = None) -> PurgeCase:
    return PurgeCase(
        command_id=uuid.uuid4(), issued_at=datetime.now(UTC), case_id=case_id or uuid.uuid4(), service="intake",
        actions={Category.CASE_KEYS: "delete"}, policy_version="p", phase="afgeschaald", due_on=date(2026, 11, 29),
    )


def record(value: bytes | None) -> SimpleNamespace:
    return SimpleNamespace(value=value, topic="t", partition=0, offset=7, headers=())


def test_a_valid_record_parses_to_its_contract() -> None:
    purge = a_purge()
    assert parse_record(record(purge.model_dump_json().encode()), MODELS, skip_unknown=False) == purge


def test_bytes_that_are_not_a_json_object_are_poison_on_their_own() -> None:
    for value in (b"{not json", b"[1, 2]", b"\xff\xfe", None):
        parsed = parse_record(record(value), MODELS, skip_unknown=False)
        assert isinstance(parsed, Poison) and parsed.reason == "undecodable"


def test_an_invalid_message_of_a_known_type_is_poison_described_without_its_values() -> None:
    body = json.loads(a_purge().model_dump_json()) | {"service": SEEDED_VALUES[0]}
    parsed = parse_record(record(json.dumps(body).encode()), MODELS, skip_unknown=False)
    assert isinstance(parsed, Poison) and parsed.reason == "schema-invalid"
    assert "service" in parsed.detail and SEEDED_VALUES[0] not in parsed.detail


def test_an_unknown_type_is_poison_for_commands_and_skipped_for_events() -> None:
    body = json.dumps({"command_type": "retention.something-new"}).encode()
    assert parse_record(record(body), MODELS, skip_unknown=False) == Poison("unknown-message-type", "type unknown")
    assert parse_record(record(body), MODELS, skip_unknown=True) is None


def test_two_purges_of_one_case_in_a_batch_run_in_separate_rounds_in_their_order() -> None:
    case = uuid.uuid4()
    first, other, second, third = a_purge(case), a_purge(), a_purge(case), a_purge(case)
    rounds = _one_per_case([first, other, second, third])
    assert rounds == [[first, other], [second], [third]]


def test_a_record_the_json_parser_refuses_for_its_depth_is_poison_alone() -> None:
    from shared.messaging.batch import Poison, parse_record

    class Record:
        value = b"[" * 20_000

    assert parse_record(Record(), {}, skip_unknown=False) == Poison("undecodable", "RecursionError")
