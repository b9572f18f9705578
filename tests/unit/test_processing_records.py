import uuid

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry.processing import (
    Activity,
    InMemoryProcessingLog,
    ProcessingRecordProcessor,
    Pseudonymizer,
    record_processing,
)
from shared.telemetry.tracing import setup_tracing
from tests.support import SEEDED_FAMILY_NAME


def tracer_with_log() -> tuple[object, InMemoryProcessingLog, InMemorySpanExporter]:
    log, spans = InMemoryProcessingLog(), InMemorySpanExporter()
    provider = setup_tracing("unit", exporter=spans, processors=[ProcessingRecordProcessor(log)])
    return provider.get_tracer("unit"), log, spans


def test_a_processing_record_has_the_logboek_fields_and_a_pseudonymised_subject() -> None:
    tracer, log, _ = tracer_with_log()
    case_id = uuid.uuid4()
    pseudonymizer = Pseudonymizer(b"k")
    with record_processing(tracer, "register referral", Activity.AANMELDING, pseudonymizer, case_id):  # type: ignore[arg-type]
        pass
    (record,) = log.records
    assert record.processing_activity_id == "urn:zorgtafel:verwerkingsactiviteit:aanmelding:v1"
    assert record.data_subject_id == pseudonymizer.subject_id(case_id)
    assert str(case_id) not in record.data_subject_id and case_id.hex not in record.data_subject_id
    assert record.status == "Ok" and record.service == "unit"
    assert len(record.trace_id) == 32 and len(record.span_id) == 16
    assert record.start_time_ms <= record.end_time_ms


def test_the_subject_can_be_named_once_it_is_known() -> None:
    tracer, log, _ = tracer_with_log()
    case_id = uuid.uuid4()
    with record_processing(tracer, "x", Activity.INTAKE, Pseudonymizer(b"k")) as processing:  # type: ignore[arg-type]
        processing.subject(case_id)
    assert log.records[0].data_subject_id == Pseudonymizer(b"k").subject_id(case_id)


def test_a_failed_processing_is_recorded_as_error_without_the_exception_message() -> None:
    tracer, log, spans = tracer_with_log()
    with pytest.raises(ValueError):
        with record_processing(tracer, "x", Activity.TRIAGE, Pseudonymizer(b"k"), uuid.uuid4()):  # type: ignore[arg-type]
            raise ValueError(f"no match for {SEEDED_FAMILY_NAME}")
    assert log.records[0].status == "Error"
    (span,) = spans.get_finished_spans()
    assert span.attributes["exception.type"] == "ValueError"
    assert SEEDED_FAMILY_NAME not in repr(dict(span.attributes)) + repr(span.events) + repr(span.status)


def test_spans_without_a_processing_activity_make_no_record() -> None:
    tracer, log, _ = tracer_with_log()
    with tracer.start_as_current_span("plumbing"):  # type: ignore[attr-defined]
        pass
    assert log.records == []


def test_pseudonyms_depend_on_the_key() -> None:
    case_id = uuid.uuid4()
    assert Pseudonymizer(b"a").subject_id(case_id) == Pseudonymizer(b"a").subject_id(case_id)
    assert Pseudonymizer(b"a").subject_id(case_id) != Pseudonymizer(b"b").subject_id(case_id)
