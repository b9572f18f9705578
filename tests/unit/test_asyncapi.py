import json
import re
from pathlib import Path

from services.cli import asyncapi_document
from shared.contracts.partner import PARTNER_COMMANDS
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


def test_the_partner_inbound_channel_carries_every_message_a_party_sends() -> None:
    doc = json.loads(asyncapi_document())
    text = json.dumps(doc["components"]["schemas"])
    assert all(f'"const": "{command_type}"' in text for command_type in PARTNER_COMMANDS)
