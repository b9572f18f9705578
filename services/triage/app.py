"""Composition root of the triage service."""

from __future__ import annotations

from datetime import timedelta

from opentelemetry.sdk.trace.export import SpanExporter

from services.triage.config import SERVICE, TriageSettings
from services.triage.handlers import build_router
from services.triage.models import Base, case_keys, register
from services.triage.retention_data import export_source, purge_steps
from services.triage.service import Triage
from shared.crypto.hub_keys import HubKeys
from shared.messaging.partner_messages import PartnerMessages
from shared.register.follow import seed_hook
from shared.register.regions import load_regions
from shared.register.store import RegisterStore
from shared.retention.wiring import install_retention
from shared.runtime import Runtime
from shared.runtime_build import app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: TriageSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
) -> Runtime:
    settings = settings or TriageSettings()
    runtime = build_runtime(SERVICE, settings, Base.metadata, span_exporter=span_exporter, processing_log=processing_log)
    store = RegisterStore(register)
    triage = Triage(
        runtime.unit_of_work,
        runtime.outbox,
        HubKeys.from_settings(settings, case_keys),
        store,
        runtime.inbox("commands"),
        load_regions(settings.zvh_regions or None),
        deadline=timedelta(seconds=settings.consultation_deadline_s),
        reminder_before=timedelta(seconds=settings.reminder_before_s),
        logboek=runtime.logboek,
        messages=PartnerMessages(runtime.tables, f"{SERVICE}.inbound"),
    )

    async def watch_deadlines() -> None:
        if await triage.watch_deadlines():
            runtime.relay.wake()

    runtime.startup_hooks.append(seed_hook(runtime, store))
    runtime.every(settings.deadline_scan_interval_s, "consultation-deadlines", watch_deadlines)
    runtime.include(build_router(runtime, triage, store))
    retention_keys = HubKeys.from_settings(settings, case_keys)
    install_retention(runtime, purge_steps(retention_keys.store), export_source, retention_keys)
    return runtime


create_app = app_factory(create_runtime)
