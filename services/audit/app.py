"""Composition root of the audit service: the hub's Logboek Dataverwerkingen and access log.

It stores every processing record (LDV) and access record (NEN 7513) from the audit topic, once,
and deletes them only when the policy's terms end (`audit_records`, `access_log`). Its read side
(services/audit/view.py) answers queries by trace id, processing activity or data subject, and
`zorgtafel trail` builds a case's history from it (covenant Bijlage 3: every look into a dossier is
logged, so a breach's impact can be determined).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from opentelemetry.sdk.trace.export import SpanExporter

from services.audit.config import SERVICE, AuditSettings
from services.audit.handlers import build_router
from services.audit.models import Base
from services.audit.store import AuditStore
from shared.contracts.envelope import utcnow
from shared.runtime import Runtime
from shared.runtime_build import app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: AuditSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    settings = settings or AuditSettings()
    runtime = build_runtime(SERVICE, settings, Base.metadata, span_exporter=span_exporter, processing_log=processing_log)
    store = AuditStore(runtime.unit_of_work, now=clock)

    async def prune() -> None:
        await store.prune(runtime.policy)

    runtime.every(settings.prune_interval_s, "audit-prune", prune)
    runtime.include(build_router(runtime, store))
    return runtime


create_app = app_factory(create_runtime)
