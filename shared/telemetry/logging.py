"""Structured logging (structlog, JSON lines) with a last line of defence against personal data.

Log calls pass opaque ids only. Should a field named like personal data slip into a log call
anyway, its value is replaced before the line is written.

Libraries log through the standard `logging` module (aiokafka, SQLAlchemy, asyncpg, FastStream).
Their records go through the same JSON renderer, with an exception's type but never its traceback
or message, and rate-limited per logger and message: a broker outage makes aiokafka repeat itself
thousands of times, which drowns the lines that matter (issue 10, case 11).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path
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


_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def template_only(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A library's line as its template's first line, each argument shown as its type
    (`Unable connect to node with id <int>: <KafkaConnectionError>`), never its value: the values,
    and the lines a library appends (asyncio adds the repr of an exception), may quote personal
    data."""
    record = event_dict.get("_record")
    if record is not None:
        args = event_dict.pop("positional_args", ())  # handed over by the formatter, never written
        event_dict["event"] = _shapes(str(record.msg).split("\n", 1)[0], args)[:200]
    return event_dict


def _shapes(template: str, args: Any) -> str:
    values = iter(args if isinstance(args, tuple) else ())
    named = args if isinstance(args, dict) else {}

    def shape(placeholder: re.Match[str]) -> str:
        if placeholder.group(0) == "%%":
            return "%"
        if placeholder.group(1):
            key = placeholder.group(1)[1:-1]
            return f"<{type(named[key]).__name__}>" if key in named else placeholder.group(0)
        value = next(values, _NONE)
        return placeholder.group(0) if value is _NONE else f"<{type(value).__name__}>"

    return _PLACEHOLDER.sub(shape, template)


_NONE = object()


def exception_type_only(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A library's exc_info becomes the exception's type: its message or traceback may quote data."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
        if isinstance(exc, BaseException):
            event_dict["error_type"] = type(exc).__name__
    return event_dict


MAX_WINDOWS = 1000


class RateLimit(logging.Filter):
    """At most `per_window` records per logger and message template in each `window_s`; the next
    one let through says how many were left out (`suppressed`)."""

    def __init__(self, per_window: int = 5, window_s: float = 60.0, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.per_window, self.window_s, self._clock = per_window, window_s, clock
        self._windows: dict[tuple[str, str], list[float]] = {}  # key -> [window start, passed, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = self._clock()
        if key not in self._windows and len(self._windows) >= MAX_WINDOWS:
            self._windows.clear()  # bounded memory: thousands of distinct lines start afresh
        window = self._windows.get(key)
        if window is None or now - window[0] >= self.window_s:
            suppressed = int(window[2]) if window else 0
            self._windows[key] = [now, 1, 0]
            if suppressed:
                record.suppressed = suppressed
            return True
        if window[1] < self.per_window:
            window[1] += 1
            return True
        window[2] += 1
        return False


# Where the lines go when not to stderr: a file a tool named (`configure_logging(to=...)`), kept by
# the later calls of the services it starts.
_TO: list[Any] = []


def _destination() -> Any:
    return _TO[0] if _TO else sys.stderr


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is now (a test's capture, a daemon's redirect), or to the
    file a tool named."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return _destination()

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_personal_fields,
]


def _library_handler(level: int) -> logging.Handler:
    handler = _StderrHandler()
    handler.setLevel(level)
    handler.addFilter(RateLimit())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        # The arguments reach template_only, which writes their types only; the message is never
        # rendered with them.
        pass_foreign_args=True, use_get_message=False,
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(("suppressed",)),
                           template_only, exception_type_only, *_SHARED],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
    ))
    handler.set_name("zorgtafel-json")
    return handler


def stop_logging_to_file() -> None:
    """Back to stderr (the file a tool named is closed)."""
    for old in _TO:
        old.close()
    _TO.clear()


def configure_logging(level: int = logging.INFO, to: Path | None = None) -> None:
    """Idempotent; called by every service factory and the CLI. With `to`, every line from now on
    goes to that file (created, appended to) instead of stderr: a tool that runs services in its
    own process (the demo) keeps its terminal for what it tells its user."""
    if to is not None:
        to.parent.mkdir(parents=True, exist_ok=True)
        stop_logging_to_file()
        _TO[:] = [open(to, "a", encoding="utf-8", buffering=1)]  # noqa: SIM115 (kept open for the process)
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "zorgtafel-json"]  # once, however often called
    root.addHandler(_library_handler(level))
    root.setLevel(level)
    # aiokafka narrates every rebalance at INFO; operators need its warnings only.
    logging.getLogger("aiokafka").setLevel(max(level, logging.WARNING))
    # Alembic says which dialect it assumes at every start; `database.migrated` says what changed.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    # The operations endpoint's server: its start and stop lines repeat the service's own.
    logging.getLogger("uvicorn").setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[*_SHARED, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # The stream is looked up per line, not bound once: a process whose stderr was swapped (a
        # test's capture, a daemon's redirect) must not keep writing to a closed file.
        logger_factory=lambda *_: structlog.PrintLogger(file=_destination()),
        cache_logger_on_first_use=False,
    )
