"""Processing records in the shape of the Dutch "Logboek Dataverwerkingen" (LDV) standard.

One record is one span (LDV §1.7 of ../shared/research/domain-anchors.md): trace id, span id,
parent span id, name, start and end time, status, and the `dpl.core.*` attributes: the
processing activity (a versioned URI, one per step of the covenant's flow) and a pseudonymised
data-subject id. The data subject is identified by an HMAC of the opaque case id under a key
that stays with the hub, so a leaked log cannot be joined to case data without that key.

This is the hook that every handler processing personal data uses (covenant Bijlage 3: every
look into a dossier is logged). Storing and querying records is later work; for now a
`ProcessingLog` receives each record as it ends.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import structlog
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import Span, StatusCode, Tracer

ACTIVITY = "dpl.core.processing_activity_id"
SUBJECT = "dpl.core.data_subject_id"
SUBJECT_TYPE = "dpl.core.data_subject_id_type"
SUBJECT_TYPE_VALUE = "urn:zorgtafel:pseudoniem:casus:v1"


class Activity:
    """Verwerkingsactiviteiten of the hub, versioned so a record points at one definition."""

    AANMELDING = "urn:zorgtafel:verwerkingsactiviteit:aanmelding:v1"
    INTAKE = "urn:zorgtafel:verwerkingsactiviteit:intake:v1"
    TRIAGE = "urn:zorgtafel:verwerkingsactiviteit:triage:v1"
    CASUSOVERLEG = "urn:zorgtafel:verwerkingsactiviteit:casusoverleg:v1"
    PLAN_VAN_AANPAK = "urn:zorgtafel:verwerkingsactiviteit:plan-van-aanpak:v1"
    AFSCHALING = "urn:zorgtafel:verwerkingsactiviteit:afschaling:v1"
    SCHONING = "urn:zorgtafel:verwerkingsactiviteit:schoning:v1"
    VERWIJDERING = "urn:zorgtafel:verwerkingsactiviteit:verwijdering:v1"
    INZAGE = "urn:zorgtafel:verwerkingsactiviteit:inzage:v1"  # the person's access export (Bijlage 3)


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
    def write(self, record: ProcessingRecord) -> None: ...


class InMemoryProcessingLog:
    def __init__(self) -> None:
        self.records: list[ProcessingRecord] = []

    def write(self, record: ProcessingRecord) -> None:
        self.records.append(record)


class StructlogProcessingLog:
    """Default sink until the audit store exists: one structured log line per record."""

    def __init__(self) -> None:
        self._log = structlog.get_logger("zorgtafel.processing")

    def write(self, record: ProcessingRecord) -> None:
        self._log.info("processing_record", **record.__dict__)


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
        if ACTIVITY not in attrs or span.context is None:
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
    """Handle inside `record_processing`: name the data subject once it is known."""

    def __init__(self, span: Span, pseudonymizer: Pseudonymizer) -> None:
        self._span = span
        self._pseudonymizer = pseudonymizer

    def subject(self, case_id: UUID) -> None:
        self._span.set_attribute(SUBJECT, self._pseudonymizer.subject_id(case_id))
        self._span.set_attribute(SUBJECT_TYPE, SUBJECT_TYPE_VALUE)


@contextmanager
def record_processing(
    tracer: Tracer,
    name: str,
    activity: str,
    pseudonymizer: Pseudonymizer,
    case_id: UUID | None = None,
) -> Iterator[Processing]:
    """One processing of personal data about one data subject (LDV: one subject per record).

    The exception's message is never recorded: it may quote personal data. Only its type is.
    """
    with tracer.start_as_current_span(
        name, attributes={ACTIVITY: activity}, record_exception=False, set_status_on_exception=False
    ) as span:
        handle = Processing(span, pseudonymizer)
        if case_id is not None:
            handle.subject(case_id)
        try:
            yield handle
        except Exception as exc:
            span.set_attribute("exception.type", type(exc).__name__)
            span.set_status(StatusCode.ERROR)
            raise
        span.set_status(StatusCode.OK)


@contextmanager
def record_processings(
    tracer: Tracer, name: str, activity: str, pseudonymizer: Pseudonymizer, case_ids: list[UUID]
) -> Iterator[None]:
    """One processing record per data subject for work done on several at once (a batch in one
    transaction): a span each, all children of the current span, ended together. LDV keeps one
    data subject per record, so a batch is never one record about many."""
    spans = [tracer.start_span(name, attributes={ACTIVITY: activity}, record_exception=False) for _ in case_ids]
    for span, case_id in zip(spans, case_ids, strict=True):
        Processing(span, pseudonymizer).subject(case_id)
    try:
        yield
    except Exception as exc:
        for span in spans:
            span.set_attribute("exception.type", type(exc).__name__)
            span.set_status(StatusCode.ERROR)
            span.end()
        raise
    for span in spans:
        span.set_status(StatusCode.OK)
        span.end()
