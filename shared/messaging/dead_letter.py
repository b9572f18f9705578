"""What a dead letter carries: only what the hub can vouch for, and never more than Kafka takes.

Issue 10 (cases 2, 3, 12): a partner may put anything in its headers (tracestate, baggage, its own),
so only a well-formed W3C `traceparent` and a bare media type travel on, with the hub's `zt-dlq-*`;
and an original too large to carry those headers within the producer's limit goes as a stub (its
size and SHA-256) that always fits.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

DLQ_HEADERS = (
    "zt-dlq-reason",
    "zt-dlq-detail",
    "zt-dlq-topic",
    "zt-dlq-partition",
    "zt-dlq-offset",
    "zt-dlq-consumer",
    "zt-dlq-failed-at",
)
# The producer's max.request.size (aiokafka's default, 1 MiB): a dead letter must fit in it with
# its headers and the record batch's overhead.
MAX_REQUEST_BYTES = 1_048_576
_OVERHEAD_BYTES = 4096
_TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]{0,62}$")


def fits_with(value: bytes, headers: dict[str, str]) -> bool:
    """Whether `value` with `headers` stays under the producer's request limit."""
    return len(value) + sum(len(k) + len(v) for k, v in headers.items()) + _OVERHEAD_BYTES <= MAX_REQUEST_BYTES


def safe_headers(headers: Any) -> dict[str, str]:
    """Of a consumed record's headers, only what the hub can vouch for: a well-formed W3C
    `traceparent` and the bare media type of `content-type` (parameters dropped). A partner may
    have put anything anywhere else (tracestate, baggage, its own headers, the key)."""
    found = {k: v.decode(errors="replace") for k, v in (headers or ())}
    kept: dict[str, str] = {}
    if _TRACEPARENT.match(found.get("traceparent", "")):
        kept["traceparent"] = found["traceparent"]
    media = found.get("content-type", "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.match(media):
        kept["content-type"] = media
    return kept


def stub_of(value: bytes) -> bytes:
    """What stands in for an original too large to dead-letter: its size and digest."""
    return json.dumps({"stub": True, "original_size": len(value), "sha256": hashlib.sha256(value).hexdigest()}).encode()
