"""Composition root of the casemeeting service (the Casusoverleg)."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SpanExporter

from services.casemeeting.config import SERVICE, CasemeetingSettings
from services.casemeeting.handlers import build_router
from services.casemeeting.models import Base, case_keys, register
from services.casemeeting.retention_data import export_source, purge_steps
from services.casemeeting.service import Casusoverleg
from shared.crypto.hub_keys import HubKeys
from shared.messaging.partner_messages import PartnerMessages
from shared.register.follow import seed_hook
from shared.register.store import RegisterStore
from shared.retention.wiring import install_retention
from shared.runtime import Runtime
from shared.runtime_build import app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: CasemeetingSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
) -> Runtime:
    settings = settings or CasemeetingSettings()
    runtime = build_runtime(SERVICE, settings, Base.metadata, span_exporter=span_exporter, processing_log=processing_log)
    store = RegisterStore(register)
    overleg = Casusoverleg(
        runtime.unit_of_work, runtime.outbox, HubKeys.from_settings(settings, case_keys), store, runtime.inbox("commands"),
        logboek=runtime.logboek, messages=PartnerMessages(runtime.tables, f"{SERVICE}.inbound"),
    )

    async def watch_overdue() -> None:
        if await overleg.watch_overdue():
            runtime.relay.wake()

    runtime.startup_hooks.append(seed_hook(runtime, store))
    runtime.every(settings.overdue_scan_interval_s, "overdue-actions", watch_overdue)
    runtime.include(build_router(runtime, overleg, store))
    retention_keys = HubKeys.from_settings(settings, case_keys)
    install_retention(runtime, purge_steps(retention_keys.store), export_source, retention_keys)
    return runtime


create_app = app_factory(create_runtime)
