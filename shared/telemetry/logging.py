"""Structured logging (structlog, JSON lines) with a last line of defence against personal data.

Log calls pass opaque ids only. Should a field named like personal data slip into a log call
anyway, its value is replaced before the line is written.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_PERSONAL_KEYS = re.compile(
    r"(bsn|name|naam|birth|geboorte|person|situation|description|address|adres|phone|email)", re.I
)
_ALLOWED = {"service_name", "event", "consumer", "logger", "name"}
REDACTED = "[redacted]"


def redact_personal_fields(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key not in _ALLOWED and _PERSONAL_KEYS.search(key):
            event_dict[key] = REDACTED
    return event_dict


def configure_logging(level: int = logging.INFO) -> None:
    """Idempotent; called by every service factory and the CLI."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    # aiokafka narrates every rebalance at INFO; operators need its warnings only.
    logging.getLogger("aiokafka").setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_fields,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # The stream is looked up per line, not bound once: a process whose stderr was swapped (a
        # test's capture, a daemon's redirect) must not keep writing to a closed file.
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
