import json
from pathlib import Path

from services.cli import asyncapi_document
from shared.contracts.topics import HUB_TOPICS, PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_the_committed_asyncapi_document_is_the_generated_one() -> None:
    assert DOCUMENT.read_text() == asyncapi_document(), "run: zorgtafel asyncapi"


def test_the_document_lists_every_registry_topic() -> None:
    doc = json.loads(asyncapi_document())
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {t.name for t in HUB_TOPICS} <= addresses
    assert {PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN} <= addresses


def test_the_document_carries_the_payload_schemas() -> None:
    schemas = json.loads(asyncapi_document())["components"]["schemas"]
    for name in ("SubmitReferral", "ReferralReceived", "TriageCaseOpened", "AnswerQuestion", "ReferralRejected"):
        assert name in schemas
    envelope = {"event_id", "event_type", "schema_version", "occurred_at", "case_id", "producer", "correlation_id"}
    assert envelope <= set(schemas["ReferralReceived"]["properties"])
