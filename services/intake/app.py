"""Composition root of the intake service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from opentelemetry.sdk.trace.export import SpanExporter

from services.intake.commands import IntakeCommands
from services.intake.config import SERVICE, IntakeSettings
from services.intake.handlers import build_router
from services.intake.models import Base, case_keys, register
from services.intake.retention_data import export_source, purge_steps
from services.intake.service import Intake
from shared.calendar import covenant_day
from shared.contracts.envelope import utcnow
from shared.crypto.hub_keys import HubKeys
from shared.messaging.partner_messages import PartnerMessages
from shared.register.follow import seed_hook
from shared.register.store import RegisterStore
from shared.retention.wiring import install_retention
from shared.runtime import Runtime
from shared.runtime_build import app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: IntakeSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    """Intake on `clock` (UTC): its covenant dates are that moment's day in the Netherlands."""
    settings = settings or IntakeSettings()
    runtime = build_runtime(
        SERVICE,
        settings,
        Base.metadata,
        span_exporter=span_exporter,
        processing_log=processing_log,
    )
    keys = HubKeys.from_settings(settings, case_keys)
    inbox = runtime.inbox("inbound")
    store = RegisterStore(register)
    matching_secret = settings.matching_key.get_secret_value().encode()
    def today() -> date:
        return covenant_day(clock())

    messages = PartnerMessages(runtime.tables, f"{SERVICE}.inbound")
    intake = Intake(
        runtime.unit_of_work, runtime.outbox, inbox, keys, store, matching_secret, messages, today=today, now=clock
    )
    commands = IntakeCommands(
        runtime.unit_of_work, runtime.outbox, runtime.inbox("commands"), keys, store, runtime.logboek, today=today
    )

    runtime.startup_hooks.append(seed_hook(runtime, store))
    runtime.include(build_router(runtime, intake, commands))
    retention_keys = HubKeys.from_settings(settings, case_keys)
    install_retention(runtime, purge_steps(retention_keys.store), export_source, retention_keys)
    return runtime


create_app = app_factory(create_runtime)
