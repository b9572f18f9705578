"""How a service's runtime is built: settings checked, then logging, tracing, broker (with its
metrics), database, outbox and relay, wired together. Nothing connects here (shared/runtime.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

from faststream import FastStream
from opentelemetry.sdk.trace.export import SpanExporter
from sqlalchemy import MetaData

from shared.audit.activities import load_register
from shared.audit.logboek import Logboek
from shared.messaging.broker import create_broker
from shared.messaging.outbox import Outbox, OutboxRelay
from shared.messaging.tables import messaging_tables
from shared.operations.metrics import HubMetrics
from shared.operations.probes import ServiceProbes
from shared.persistence.database import Database
from shared.retention.policy import load_policy
from shared.runtime import Runtime, SchemaSource
from shared.settings import ServiceSettings
from shared.telemetry.logging import configure_logging
from shared.telemetry.processing import (
    Activity,
    ProcessingLog,
    ProcessingRecordProcessor,
    Pseudonymizer,
    StructlogProcessingLog,
)
from shared.telemetry.tracing import setup_tracing


class RuntimeFactory(Protocol):
    def __call__(
        self,
        settings: Any = None,
        *,
        span_exporter: SpanExporter | None = None,
        processing_log: ProcessingLog | None = None,
    ) -> Runtime: ...


def app_factory(create_runtime: RuntimeFactory) -> Callable[..., FastStream]:
    """A service's `create_app(settings)`: its runtime, as a FastStream application."""

    def create_app(
        settings: Any = None,
        *,
        span_exporter: SpanExporter | None = None,
        processing_log: ProcessingLog | None = None,
    ) -> FastStream:
        return create_runtime(settings, span_exporter=span_exporter, processing_log=processing_log).app()

    return create_app


def build_runtime(
    service: str,
    settings: ServiceSettings,
    metadata: MetaData,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
    schema: SchemaSource = "migrated",
) -> Runtime:
    configure_logging()
    settings.check_secrets()
    policy = load_policy(settings.retention_policy)
    # Every activity the code records must be in the register in force (LDV: a record points at
    # a defined, versioned activity); a register that lacks one stops the service here.
    load_register(settings.processing_activities, required=Activity.ALL)
    tables = messaging_tables(metadata)
    tracer_provider = setup_tracing(
        service,
        otlp_endpoint=settings.otlp_endpoint,
        otlp_traces_endpoint=settings.otlp_traces_endpoint,
        exporter=span_exporter,
        processors=[ProcessingRecordProcessor(processing_log or StructlogProcessingLog())],
    )
    metrics = HubMetrics(service)
    broker, reliability = create_broker(settings, service, tracer_provider, metrics)
    database = Database(
        settings.database_url_for(service),
        statement_timeout_s=settings.statement_timeout_s,
        lock_timeout_s=settings.lock_timeout_s,
    )
    relay = OutboxRelay(
        tables,
        database.sessions,
        # Not waiting for each confirmation: the relay sends a wave together, then awaits them all.
        functools.partial(broker.publish, no_confirm=True),
        tracer_provider,
        poll_interval_s=settings.outbox_poll_interval_s,
        batch_size=settings.outbox_batch_size,
        max_backoff_s=settings.retry_max_delay_s,
        lock_rows=database.is_postgres,
        dead_letter_topic=reliability.dead_letter_topic,
        service=service,
        on_fatal=lambda: reliability.on_fatal(),  # looked up when needed: a supervisor may replace it
    )
    outbox = Outbox(tables, settings.topic_prefix)
    pseudonymizer = Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())
    runtime = Runtime(
        service=service,
        settings=settings,
        metadata=metadata,
        tables=tables,
        tracer_provider=tracer_provider,
        broker=broker,
        database=database,
        outbox=outbox,
        relay=relay,
        pseudonymizer=pseudonymizer,
        policy=policy,
        reliability=reliability,
        logboek=Logboek(outbox, service, tracer_provider.get_tracer(f"zorgtafel.{service}"), pseudonymizer),
        schema=schema,
        probes=ServiceProbes(
            service, database, broker, tables.outbox, metrics, outbox_stuck_after_s=settings.outbox_stuck_after_s
        ),
    )
    # A message dead-lettered after its processing failed leaves the processing's Error record.
    reliability.before_dead_letter = lambda technical: runtime.logboek.record_failures(runtime.unit_of_work, technical)
    # Every service keeps its operational rows only for the policy's term; hourly is plenty.
    runtime.every(3600.0, "prune-operational", runtime._prune_operational)
    return runtime
