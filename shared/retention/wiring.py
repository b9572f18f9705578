"""Wires retention's requests into a service: purges (art. 1.2) and access exports (Bijlage 3)."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from faststream.kafka import KafkaRouter

from shared.contracts.retention import PurgeCase
from shared.contracts.rights import ExportCase
from shared.contracts.topics import PURGE_COMMANDS
from shared.crypto.hub_keys import HubKeys
from shared.messaging.routing import of_type, reject_unknown_command
from shared.retention.categories import Category
from shared.retention.export import CaseExporter, ExportSource
from shared.retention.purge import CasePurger, Step, purge_records_table
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)


def install_retention(runtime: Runtime, steps: Mapping[Category, Step], source: ExportSource, keys: HubKeys) -> None:
    """Adds the subscriber of retention's requests (its own consumer group) to `runtime`."""
    inbox = runtime.inbox("purge")
    purger = CasePurger(
        runtime.service, steps, runtime.unit_of_work, runtime.outbox, inbox, purge_records_table(runtime.metadata)
    )
    exporter = CaseExporter(runtime.service, source, keys, runtime.unit_of_work, runtime.outbox, inbox)
    router = KafkaRouter()
    commands = runtime.subscriber(router, "purge", PURGE_COMMANDS.name)

    @commands(filter=of_type("retention.purge-case"))
    async def on_purge_case(body: PurgeCase) -> None:
        if body.service != runtime.service:
            return
        # Destroying personal data is itself a processing of it (LDV: one record per case).
        with record_processing(runtime.tracer, "purge case", Activity.VERWIJDERING, runtime.pseudonymizer, body.case_id):
            counts = await purger.purge(body)
        runtime.relay.wake()
        log.info("retention.purged", case_id=str(body.case_id), purge_id=str(body.command_id), done=counts is not None)

    @commands(filter=of_type("retention.export-case"))
    async def on_export_case(body: ExportCase) -> None:
        if body.service != runtime.service:
            return
        # An export opens the person's data and discloses it to a party: a processing of its own.
        with record_processing(runtime.tracer, "export case", Activity.INZAGE, runtime.pseudonymizer, body.case_id):
            count = await exporter.export(body)
        runtime.relay.wake()
        log.info("retention.exported", case_id=str(body.case_id), request_id=str(body.request_id), items=count)

    commands(reject_unknown_command)
    runtime.include(router)
