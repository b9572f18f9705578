"""The AsyncAPI documents: the partner contract (docs/asyncapi.json) and the whole hub
(docs/asyncapi-hub.json), both generated from the code and valid by the AsyncAPI 3.0.0 schema."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from services.cli import asyncapi_document, partner_asyncapi_document
from shared.contracts.partner import PARTNER_COMMANDS
from shared.contracts.partner_examples import EXAMPLES
from shared.contracts.topics import HUB_TOPICS, PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "asyncapi-hub.json"
PARTNER_DOCUMENT = ROOT / "docs" / "asyncapi.json"
# The AsyncAPI Initiative's JSON Schema of the specification, fetched by scripts/setup.
SPEC_SCHEMA = ROOT / ".local" / "specs" / "asyncapi-3.0.0.schema.json"


def partner() -> dict[str, Any]:
    return json.loads(partner_asyncapi_document())  # type: ignore[no-any-return]


def test_the_committed_asyncapi_documents_are_the_generated_ones() -> None:
    assert DOCUMENT.read_text() == asyncapi_document(), "run: zorgtafel asyncapi"
    assert PARTNER_DOCUMENT.read_text() == partner_asyncapi_document(), "run: zorgtafel asyncapi"


@pytest.mark.parametrize("document", [PARTNER_DOCUMENT, DOCUMENT], ids=lambda p: p.name)
def test_each_document_is_valid_by_the_asyncapi_3_schema(document: Path) -> None:
    assert SPEC_SCHEMA.is_file(), "run scripts/setup --with-postgres (it fetches the AsyncAPI 3.0.0 schema)"
    errors = list(Draft7Validator(json.loads(SPEC_SCHEMA.read_text())).iter_errors(json.loads(document.read_text())))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]


def test_the_partner_document_has_one_inbound_and_one_inbox_channel_with_every_message() -> None:
    doc = partner()
    channels = doc["channels"]
    assert {c["address"] for c in channels.values()} == {PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN}
    inbound = {doc["components"]["messages"][m]["name"] for m in channels["partnerInbound"]["messages"]}
    assert inbound == set(PARTNER_COMMANDS)
    inbox = {doc["components"]["messages"][m]["name"] for m in channels["partnerInbox"]["messages"]}
    assert {"intake.referral-acknowledged", "intake.referral-rejected", "hub.message-acknowledged",
            "triage.consultation-request", "meeting.invitation", "meeting.consent-request"} <= inbox


def test_every_channel_parameter_is_defined_and_every_message_declares_its_headers() -> None:
    doc = partner()
    for channel in doc["channels"].values():
        assert set(re.findall(r"{(\w+)}", channel["address"])) == set(channel["parameters"])
    for message in doc["components"]["messages"].values():
        assert message["headers"]["properties"]["content-type"]["const"] == "application/json"
        location = message["correlationId"]["location"].removeprefix("$message.payload#/")
        payload = doc["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert location in payload["properties"], message["name"]  # points at a field that exists


def test_each_partner_command_example_is_valid_by_its_payload_schema_in_the_document() -> None:
    doc = partner()
    schemas = {"components": {"schemas": doc["components"]["schemas"]}}
    for message in doc["components"]["messages"].values():
        if message["name"] not in PARTNER_COMMANDS:
            continue
        (example,) = message["examples"]
        assert example["payload"] == EXAMPLES[message["name"]]
        Draft202012Validator({**schemas, "$ref": message["payload"]["$ref"]}).validate(example["payload"])


def test_the_sealed_personal_data_is_in_the_partner_document() -> None:
    assert "ReferralPersonalData" in partner()["components"]["schemas"]


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


def test_names_are_valid_asyncapi_ids_and_every_reference_resolves() -> None:
    doc = json.loads(asyncapi_document())
    ids = [*doc["channels"], *doc["operations"], *doc["components"]["messages"]]
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in ids), [n for n in ids if not re.fullmatch(r"[a-z0-9-]+", n)]
    text = json.dumps(doc)
    for section, name in re.findall(r'"#/(channels|operations|servers|components/messages)/([^/"]+)', text):
        holder = doc["components"]["messages"] if section == "components/messages" else doc[section]
        assert name in holder, (section, name)


def test_one_server_with_the_brokers_security_scheme() -> None:
    doc = json.loads(asyncapi_document())
    assert list(doc["servers"]) == ["zorgtafel"]
    assert doc["servers"]["zorgtafel"]["protocol"] == "kafka-secure"
    assert doc["components"]["securitySchemes"]["scram512"]["type"] == "scramSha512"


def test_the_hub_documents_partner_inbound_channel_carries_every_message_a_party_sends() -> None:
    doc = json.loads(asyncapi_document())
    text = json.dumps(doc["components"]["schemas"])
    assert all(f'"const": "{command_type}"' in text for command_type in PARTNER_COMMANDS)
