"""Composition root of the intake service."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SpanExporter

from shared.contracts.topics import HUB_TOPICS, partner_topics
from shared.runtime import Runtime, app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog
from services.intake.config import SERVICE, IntakeSettings
from services.intake.handlers import build_router
from services.intake.models import Base


def create_runtime(
    settings: IntakeSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
) -> Runtime:
    settings = settings or IntakeSettings()
    runtime = build_runtime(
        SERVICE,
        settings,
        Base.metadata,
        topics=(*HUB_TOPICS, *partner_topics(settings.party_codes)),
        span_exporter=span_exporter,
        processing_log=processing_log,
    )
    runtime.include(build_router(runtime))
    return runtime


create_app = app_factory(create_runtime)
