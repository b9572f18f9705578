"""Composition root of the retention service.

It starts with the shared wiring (database, outbox relay, tracing, broker) and no subscribers
yet: its handlers arrive with their own issue, on this same skeleton.
"""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SpanExporter

from services.retention.config import SERVICE, RetentionSettings
from services.retention.models import Base
from shared.runtime import Runtime, app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: RetentionSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
) -> Runtime:
    return build_runtime(
        SERVICE, settings or RetentionSettings(), Base.metadata, span_exporter=span_exporter, processing_log=processing_log
    )


create_app = app_factory(create_runtime)
