"""The partner's AsyncAPI 3.0 document: the two topics a party uses and every message on them.

Built from the partner contract's registry (shared/contracts/partner.py), so it cannot leave a
message out: one channel a party writes (`partnerInbound`) and one it reads (`partnerInbox`), each
address with its `{party}` parameter, one message per command or notice type with its headers,
payload schema and example, and the broker's server and security scheme. The document describes
the hub: it *receives* on a party's inbound topic and *sends* on its inbox. The whole hub's
document, internal topics included, is docs/asyncapi-hub.json (services/asyncapi_doc.py).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts.partner import PARTNER_COMMANDS, SEALED_CONTENT, notice_models
from shared.contracts.partner_examples import EXAMPLES, NOTICE_EXAMPLES
from shared.contracts.topics import PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN

_REF = "#/components/schemas/{model}"
_PARTY = {
    "description": "Your party code in the Zorgtafel's register, e.g. politie-oost-brabant (`zorgtafel parties list`).",
    "examples": ["politie-oost-brabant", "veilig-thuis-zuidoost-brabant"],
}
_TRACE_HEADERS = {
    "traceparent": {
        "type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        "description": "W3C Trace Context. Optional from a party (the hub continues its trace); ids only, never data.",
    },
}
_HEADERS = {
    "inbound": {
        "type": "object",
        "properties": {
            "content-type": {"type": "string", "const": "application/json", "description": "Recommended."},
            **_TRACE_HEADERS,
        },
        "description": "Kafka record headers. The hub reads no others and copies none onward (tracestate, baggage are dropped).",
    },
    "inbox": {
        "type": "object",
        "required": ["content-type"],
        "properties": {
            "content-type": {"type": "string", "const": "application/json"},
            "correlation_id": {"type": "string", "format": "uuid", "description": "The hub's id of this record (its broker library's); not an id of yours."},
            **_TRACE_HEADERS,
        },
        "description": "Kafka record headers the hub writes; the record has no key.",
    },
}
_CORRELATION = {
    "inbound": {"location": "$message.payload#/command_id",
                "description": "Your id of this message; every notice that answers it carries it as causation_id."},
    "inbox": {"location": "$message.payload#/causation_id",
              "description": "The command_id of your message this answers (null for a notice nothing of yours caused, such as an invitation)."},
}
_SERVER = {
    "host": "{bootstrap}",
    "protocol": "kafka-secure",
    "description": (
        "The deployment's Kafka cluster: TLS on every connection (trust the CA certificate in your onboarding "
        "bundle) and SASL/SCRAM-SHA-512 as your principal `party-<code>`. Topic names carry the deployment's "
        "prefix when it has one: take them from your bundle's `topics`."
    ),
    "variables": {"bootstrap": {"default": "127.0.0.1:9092", "description": "broker.bootstrap_servers in your onboarding bundle; the default is a local run (scripts/demo)"}},
    "security": [{"$ref": "#/components/securitySchemes/partnerScram"}],
}
_SCRAM = {
    "type": "scramSha512",
    "description": (
        "SASL/SCRAM-SHA-512 over TLS as `party-<code>`: write only your own inbound topic, read only your own "
        "inbox, in consumer groups starting with your bundle's `topics.consumer_group_prefix`."
    ),
}


def partner_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the partner contract, as a JSON-ready dict."""
    commands = list(PARTNER_COMMANDS.items())
    notices = list(notice_models().items())
    models: list[type[BaseModel]] = [m for _, m in commands] + [m for _, m in notices] + list(SEALED_CONTENT.values())
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    messages = {_message_id(t): _message(t, m, "inbound") for t, m in commands}
    messages |= {_message_id(t): _message(t, m, "inbox") for t, m in notices}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Zorgtafel Hub: the partner contract",
            "version": "1.0.0",
            "description": (
                "What a party's own system sends to the Zorgtafel Hub and reads from it. Sealed fields: "
                "docs/sealing.md (with test vectors); each payload's JSON Schema with an example: docs/schemas/; "
                "your keys, credential and topic names: your onboarding bundle (`zorgtafel partner onboard`). "
                "`referral-personal-data` is the plaintext of a referral's sealed `personal` field."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"zorgtafel": _SERVER},
        "channels": {
            "partnerInbound": _channel(PARTNER_INBOUND_PATTERN, "Everything your system sends to the hub.", commands),
            "partnerInbox": _channel(PARTNER_INBOX_PATTERN, "Every answer and notice the hub has for you.", notices),
        },
        "operations": {
            "receivePartnerMessage": {
                "action": "receive", "channel": {"$ref": "#/channels/partnerInbound"},
                "title": "The hub receives what you send",
                "description": "Every message gets an answer on your inbox: acknowledged, duplicate (with the earlier answer) or rejected with field paths and codes; a record that is not JSON is dead-lettered.",
                "messages": [{"$ref": f"#/channels/partnerInbound/messages/{_message_id(t)}"} for t, _ in commands],
            },
            "sendPartnerNotice": {
                "action": "send", "channel": {"$ref": "#/channels/partnerInbox"},
                "title": "The hub writes to your inbox",
                "messages": [{"$ref": f"#/channels/partnerInbox/messages/{_message_id(t)}"} for t, _ in notices],
            },
        },
        "components": {
            "schemas": _asyncapi_schema(dict(sorted(defs["$defs"].items()))),
            "messages": messages,
            "securitySchemes": {"partnerScram": _SCRAM},
        },
    }


def _message_id(message_type: str) -> str:
    """`aanmelding.submit-referral` -> `aanmeldingSubmitReferral`: the type, camelCase."""
    words = re.split(r"[^a-z0-9]+", message_type)
    return words[0] + "".join(w.title() for w in words[1:])


def _asyncapi_schema(node: Any) -> Any:
    """pydantic writes OpenAPI's discriminator object; an AsyncAPI Schema's is the property name."""
    if isinstance(node, dict):
        fixed = {k: _asyncapi_schema(v) for k, v in node.items()}
        if isinstance(fixed.get("discriminator"), dict):
            fixed["discriminator"] = fixed["discriminator"]["propertyName"]
        return fixed
    if isinstance(node, list):
        return [_asyncapi_schema(v) for v in node]
    return node


def _message(message_type: str, model: type[BaseModel], side: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": message_type,
        "title": message_type,
        "summary": " ".join((model.__doc__ or message_type).split()),
        "contentType": "application/json",
        "headers": _HEADERS[side],
        "payload": {"$ref": _REF.format(model=model.__name__)},
        # One id ties an answer to what you sent: your command_id, which every notice answering it
        # carries as causation_id (correlation_id is the conversation: yours, or that command_id).
        "correlationId": _CORRELATION[side],
    }
    example = EXAMPLES.get(message_type) or NOTICE_EXAMPLES[message_type]
    message["examples"] = [{"name": message_type, "headers": {"content-type": "application/json"}, "payload": example}]
    return message


def _channel(address: str, description: str, messages: list[tuple[str, type[BaseModel]]]) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "parameters": {"party": _PARTY},
        "servers": [{"$ref": "#/servers/zorgtafel"}],
        "messages": {_message_id(t): {"$ref": f"#/components/messages/{_message_id(t)}"} for t, _ in messages},
    }
