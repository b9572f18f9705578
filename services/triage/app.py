"""Composition root of the triage service."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SpanExporter

from shared.runtime import Runtime, app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog
from services.triage.config import SERVICE, TriageSettings
from services.triage.handlers import build_router
from services.triage.models import Base


def create_runtime(
    settings: TriageSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
) -> Runtime:
    runtime = build_runtime(
        SERVICE, settings or TriageSettings(), Base.metadata, span_exporter=span_exporter, processing_log=processing_log
    )
    runtime.include(build_router(runtime))
    return runtime


create_app = app_factory(create_runtime)
