"""Composition root of the retention service (covenant art. 1.2, 11.3d, Bijlage 3).

It follows every case's life on the hub's event topics, starts the retention clocks of the
policy in force, issues each service's purge on its due day, takes their confirmations into the
ledger, flags purges not confirmed in time, carries out or refuses erasure requests and gathers
access exports (Bijlage 3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from opentelemetry.sdk.trace.export import SpanExporter

from services.retention.backlog import purge_gauges
from services.retention.config import SERVICE, RetentionSettings
from services.retention.handlers import build_router
from services.retention.models import Base, register
from services.retention.purges import Purges
from services.retention.rights import Rights
from services.retention.service import CaseFollower
from shared.contracts.envelope import utcnow
from shared.register.follow import seed_hook
from shared.register.store import RegisterStore
from shared.runtime import Runtime
from shared.runtime_build import app_factory, build_runtime
from shared.telemetry.processing import ProcessingLog


def create_runtime(
    settings: RetentionSettings | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    processing_log: ProcessingLog | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    """Raises PolicyError when the policy in force is invalid: retention refuses to start."""
    settings = settings or RetentionSettings()
    runtime = build_runtime(SERVICE, settings, Base.metadata, span_exporter=span_exporter, processing_log=processing_log)
    store = RegisterStore(register)
    parts = (runtime.unit_of_work, runtime.outbox, runtime.policy, runtime.pseudonymizer, store)
    follower, purges, rights = CaseFollower(*parts, now=clock), Purges(*parts, now=clock), Rights(*parts, now=clock)

    async def run_purges() -> None:
        await purges.issue_due(on_issued=lambda _: runtime.relay.wake())
        if await purges.flag_overdue():
            runtime.relay.wake()

    async def housekeeping() -> None:
        if await purges.notice_inactive():
            runtime.relay.wake()
        await purges.prune_by_age()

    runtime.startup_hooks.append(seed_hook(runtime, store))
    runtime.every(settings.purge_scan_interval_s, "purges", run_purges)
    runtime.every(max(settings.purge_scan_interval_s, 3600.0), "retention-housekeeping", housekeeping)
    runtime.include(build_router(runtime, follower, purges, rights, store))
    metrics = runtime.probes.metrics
    metrics.read_at_scrape(purge_gauges(metrics, runtime.unit_of_work, runtime.policy, clock))
    return runtime


create_app = app_factory(create_runtime)
