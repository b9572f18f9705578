"""Processing records in the shape of the Dutch "Logboek Dataverwerkingen" (LDV) standard.

One record is one span (LDV §1.7 of ../shared/research/domain-anchors.md): trace id, span id,
parent span id, name, start and end time, status, and the `dpl.core.*` attributes: the
processing activity (a versioned URI, one per step of the covenant's flow) and a pseudonymised
data-subject id. The data subject is identified by an HMAC of the opaque case id under a key
that stays with the hub, so a leaked log cannot be joined to case data without that key.

Every handler that processes personal data runs inside `record_processing` (or
`record_processings` for a batch, one per data subject). While it runs, the processing is "in
progress" in this task's context; when the use case records the message as processed in its inbox,
the `Logboek` (shared/audit/logboek.py) stages the processing's record into that same transaction,
so the durable record commits with the processing or not at all. The span processor below also
hands every ended record to a `ProcessingLog` (in memory for tests; failed attempts, whose
transaction rolled back and so left no durable record, as a log line).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import structlog
from opentelemetry import propagate
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import Span, StatusCode, Tracer, format_span_id, format_trace_id

ACTIVITY = "dpl.core.processing_activity_id"
SUBJECT = "dpl.core.data_subject_id"
SUBJECT_TYPE = "dpl.core.data_subject_id_type"
SUBJECT_TYPE_VALUE = "urn:zorgtafel:pseudoniem:casus:v1"


class Activity:
    """Verwerkingsactiviteiten of the hub, versioned so a record points at one definition; what
    each is for and on what basis is in the register (shared/audit/activities.py)."""

    AANMELDING = "urn:zorgtafel:verwerkingsactiviteit:aanmelding:v1"
    INTAKE = "urn:zorgtafel:verwerkingsactiviteit:intake:v1"
    TRIAGE = "urn:zorgtafel:verwerkingsactiviteit:triage:v1"
    CASUSOVERLEG = "urn:zorgtafel:verwerkingsactiviteit:casusoverleg:v1"
    PLAN_VAN_AANPAK = "urn:zorgtafel:verwerkingsactiviteit:plan-van-aanpak:v1"
    AFSCHALING = "urn:zorgtafel:verwerkingsactiviteit:afschaling:v1"
    SCHONING = "urn:zorgtafel:verwerkingsactiviteit:schoning:v1"
    VERWIJDERING = "urn:zorgtafel:verwerkingsactiviteit:verwijdering:v1"
    INZAGE = "urn:zorgtafel:verwerkingsactiviteit:inzage:v1"  # the person's access export (Bijlage 3)
    # Each must be defined in the register in force (shared/audit/data/processing-activities.v1.json).
    ALL = frozenset({AANMELDING, INTAKE, TRIAGE, CASUSOVERLEG, PLAN_VAN_AANPAK, AFSCHALING, SCHONING, VERWIJDERING, INZAGE})


@dataclass(frozen=True)
class ProcessingRecord:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    status: str  # LDV: Unset | Ok | Error (Error only for technical failures)
    start_time_ms: int
    end_time_ms: int
    service: str
    processing_activity_id: str
    data_subject_id: str | None
    data_subject_id_type: str | None


class ProcessingLog(Protocol):
    # True when the sink wants failed processings only: the others are then not built at all
    # (a batch purge ends thousands of processing spans).
    errors_only: bool

    def write(self, record: ProcessingRecord) -> None: ...


class InMemoryProcessingLog:
    errors_only = False

    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []

    def write(self, record: ProcessingRecord) -> None:
        self.records.append(record)


class StructlogProcessingLog:
    """Default sink: a log line for each failed processing. Successful ones are durable records
    in the audit store (through the outbox); a failed attempt rolled its transaction back, so this
    line is what operations see of it (ids and the exception's type only)."""

    errors_only = True

    def __init__(self) -> None:
        self._log = structlog.get_logger("zorgtafel.processing")

    def write(self, record: ProcessingRecord) -> None:
        if record.status == "Error":
            self._log.warning("processing.failed", **record.__dict__)


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def subject_id(self, case_id: UUID) -> str:
        return hmac.new(self._key, case_id.bytes, hashlib.sha256).hexdigest()


class ProcessingRecordProcessor(SpanProcessor):
    """Turns every ended span that carries a processing activity into a `ProcessingRecord`."""

    def __init__(self, sink: ProcessingLog) -> None:
        self._sink = sink

    def on_end(self, span: ReadableSpan) -> None:
        attrs = span.attributes or {}
        if not attrs.get(ACTIVITY) or span.context is None:  # none, or discarded
            return
        if self._sink.errors_only and span.status.status_code is not StatusCode.ERROR:
            return
        status = {StatusCode.OK: "Ok", StatusCode.ERROR: "Error"}.get(span.status.status_code, "Unset")
        self._sink.write(
            ProcessingRecord(
                trace_id=format(span.context.trace_id, "032x"),
                span_id=format(span.context.span_id, "016x"),
                parent_span_id=format(span.parent.span_id, "016x") if span.parent else None,
                name=span.name,
                status=status,
                start_time_ms=(span.start_time or 0) // 1_000_000,
                end_time_ms=(span.end_time or 0) // 1_000_000,
                service=str(span.resource.attributes.get("service.name", "")),
                processing_activity_id=str(attrs[ACTIVITY]),
                data_subject_id=str(attrs[SUBJECT]) if SUBJECT in attrs else None,
                data_subject_id_type=str(attrs[SUBJECT_TYPE]) if SUBJECT_TYPE in attrs else None,
            )
        )


class Processing:
    """One processing in progress (inside `record_processing`): name its data subject once known.

    `case_id` stays in memory only (the Logboek matches a batch's records to the cases it
    processed); records and spans carry the pseudonym.
    """

    def __init__(self, span: Span, pseudonymizer: Pseudonymizer, name: str, activity: str) -> None:
        self._span = span
        self._pseudonymizer = pseudonymizer
        self._name = name
        self._activity = activity
        self.case_id: UUID | None = None
        self.recorded = False  # its durable record is staged (one per processing)
        # LDV status: Ok once done; Unset for input handled as invalid or a request refused;
        # Error for a technical failure.
        self.status = "Ok"

    def subject(self, case_id: UUID) -> None:
        self.case_id = case_id
        self._span.set_attribute(SUBJECT, self._pseudonymizer.subject_id(case_id))
        self._span.set_attribute(SUBJECT_TYPE, SUBJECT_TYPE_VALUE)

    def discard(self) -> None:
        """This was no processing of personal data after all (a message for another service on a
        shared topic, left untouched): no record, and the span no longer claims an activity."""
        self.recorded = True
        self._span.set_attribute(ACTIVITY, "")

    def record(self, service: str) -> ProcessingRecord:
        """The LDV record of this processing as it stands now, ended now (milliseconds since the
        epoch); its status is `self.status` (Ok unless set otherwise)."""
        context = self._span.get_span_context()
        parent = getattr(self._span, "parent", None)
        return ProcessingRecord(
            trace_id=format_trace_id(context.trace_id),
            span_id=format_span_id(context.span_id),
            parent_span_id=format_span_id(parent.span_id) if parent is not None else None,
            name=self._name,
            status=self.status,
            start_time_ms=(getattr(self._span, "start_time", None) or time.time_ns()) // 1_000_000,
            end_time_ms=time.time_ns() // 1_000_000,
            service=service,
            processing_activity_id=self._activity,
            data_subject_id=self._pseudonymizer.subject_id(self.case_id) if self.case_id else None,
            data_subject_id_type=SUBJECT_TYPE_VALUE if self.case_id else None,
        )


# The processings in progress in this task (asyncio copies the context per task, so concurrent
# handlers never see each other's).
_IN_PROGRESS: ContextVar[tuple[Processing, ...]] = ContextVar("zorgtafel_processings", default=())


def in_progress() -> tuple[Processing, ...]:
    """The processings in progress in the current context, outermost first."""
    return _IN_PROGRESS.get()


# Processings of this task that failed; kept until the message is retried or dead-lettered, so a
# processing that never succeeds still leaves its Error record (Logboek.record_failures).
_FAILED: ContextVar[tuple[Processing, ...]] = ContextVar("zorgtafel_failed_processings", default=())


def failed() -> tuple[Processing, ...]:
    """The processings of this task that ended in an error and have no durable record yet."""
    return _FAILED.get()


def forget_failed() -> None:
    _FAILED.set(())


def not_carried_out() -> None:
    """The innermost processing handled its input as invalid, or refused a request: LDV status
    Unset (not Error: nothing failed technically; not Ok: nothing was done)."""
    for processing in reversed(_IN_PROGRESS.get()):
        processing.status = "Unset"
        return


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span (ids only), or None outside a trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def about(case_id: UUID) -> None:
    """Name the data subject of the innermost processing in progress, for a use case that learns
    its case only while it runs (a referral creates it, a party's answer names its question).
    Nothing happens outside a processing."""
    for processing in reversed(_IN_PROGRESS.get()):
        processing.subject(case_id)
        return


@contextmanager
def record_processing(
    tracer: Tracer,
    name: str,
    activity: str,
    pseudonymizer: Pseudonymizer,
    case_id: UUID | None = None,
) -> Iterator[Processing]:
    """One processing of personal data about one data subject (LDV: one subject per record), a
    child of the current span (in a batch, the record's own trace: shared/messaging/batched.py).

    The exception's message is never recorded: it may quote personal data. Only its type is.
    """
    with tracer.start_as_current_span(
        name, attributes={ACTIVITY: activity}, record_exception=False, set_status_on_exception=False
    ) as span:
        handle = Processing(span, pseudonymizer, name, activity)
        if case_id is not None:
            handle.subject(case_id)
        token = _IN_PROGRESS.set((*_IN_PROGRESS.get(), handle))
        try:
            yield handle
        except Exception as exc:
            span.set_attribute("exception.type", type(exc).__name__)
            span.set_status(StatusCode.ERROR)
            handle.status = "Error"
            if not handle.recorded:
                _FAILED.set((*_FAILED.get(), handle))
            raise
        finally:
            _IN_PROGRESS.reset(token)
        span.set_status(StatusCode.OK)


@contextmanager
def record_processings(
    tracer: Tracer, name: str, activity: str, pseudonymizer: Pseudonymizer, case_ids: list[UUID]
) -> Iterator[None]:
    """One processing record per data subject for work done on several at once (a batch in one
    transaction): a span each, all children of the current span, ended together. LDV keeps one
    data subject per record, so a batch is never one record about many."""
    spans = [tracer.start_span(name, attributes={ACTIVITY: activity}, record_exception=False) for _ in case_ids]
    handles = [Processing(span, pseudonymizer, name, activity) for span in spans]
    for handle, case_id in zip(handles, case_ids, strict=True):
        handle.subject(case_id)
    token = _IN_PROGRESS.set((*_IN_PROGRESS.get(), *handles))
    try:
        yield
    except Exception as exc:
        _IN_PROGRESS.reset(token)
        for span in spans:
            span.set_attribute("exception.type", type(exc).__name__)
            span.set_status(StatusCode.ERROR)
            span.end()
        raise
    _IN_PROGRESS.reset(token)
    for span in spans:
        span.set_status(StatusCode.OK)
        span.end()
