"""The AsyncAPI document as a partner's engineer reads it (issue 12, deliverable 1).

FastStream generates the document from the five services' code; this pass makes it readable and
valid: channel, operation and message names become plain slugs (AsyncAPI 3.0 allows only
`[A-Za-z0-9_-]` in channel and operation ids, FastStream writes `topic:Handler`), the servers
of the several broker objects become the one broker the hub has, and the security scheme says
how a party connects (docs/decisions/0009).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

SERVER = "zorgtafel"
_SERVER = {
    "host": "127.0.0.1:9092",
    "protocol": "kafka-secure",
    "description": (
        "The hub's Kafka cluster; 127.0.0.1:9092 in a local run (scripts/demo), a deployment's own "
        "bootstrap servers otherwise. TLS on every client connection (trust the CA the deployment "
        "hands over), SASL/SCRAM-SHA-512 as your principal party-<code>; topic names carry the "
        "environment's prefix when it has one."
    ),
    "security": [{"$ref": "#/components/securitySchemes/scram512"}],
}
_SCRAM = {
    "type": "scramSha512",
    "description": (
        "SASL/SCRAM-SHA-512 over TLS. A party's principal is party-<code>: it may write only its own "
        "inbound topic and read only its own inbox, in consumer groups <prefix>zorgtafel.partner.<code>.*. "
        "Its password and the CA certificate come with its onboarding."
    ),
}


def slug(name: str) -> str:
    """`zorgtafel.aanmelding.events.v1:OnCaseEvent` -> `aanmelding-events-v1-on-case-event`."""
    name = name.removeprefix("zorgtafel.")
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


def readable(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with readable, valid ids, one server and a described security scheme."""
    renames: dict[str, str] = {}
    for section in ("channels", "operations"):
        doc[section] = {_renamed(renames, f"#/{section}/", k): v for k, v in doc[section].items()}
    messages = doc["components"]["messages"]
    doc["components"]["messages"] = {_renamed(renames, "#/components/messages/", k): v for k, v in messages.items()}
    for old_server in doc.get("servers", {}):
        renames[f"#/servers/{old_server}"] = f"#/servers/{SERVER}"
    doc["servers"] = {SERVER: _SERVER}
    doc["components"]["securitySchemes"] = {"scram512": _SCRAM}
    text = json.dumps(doc)
    # Longest first: one id may be the start of another.
    for old in sorted(renames, key=len, reverse=True):
        text = text.replace(json.dumps(old)[:-1], json.dumps(renames[old])[:-1])
    result: dict[str, Any] = json.loads(text)
    for channel in result["channels"].values():  # one server, named once
        channel["servers"] = [{"$ref": f"#/servers/{SERVER}"}]
    return result


def _renamed(renames: dict[str, str], prefix: str, key: str) -> str:
    new = slug(key)
    renames[prefix + key] = prefix + new
    # FastStream writes some references percent-encoded (a subscriber named after its handlers).
    renames[prefix + quote(key, safe=":.-_")] = prefix + new
    return new
