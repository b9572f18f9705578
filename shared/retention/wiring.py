"""Wires a service's purge into its runtime: the `purge_record` table, the subscriber, the purger."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from faststream.kafka import KafkaRouter

from shared.contracts.retention import PurgeCase
from shared.contracts.topics import PURGE_COMMANDS
from shared.messaging.routing import of_type, reject_unknown_command
from shared.retention.categories import Category
from shared.retention.purge import CasePurger, Step, purge_records_table
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)


def install_purge(runtime: Runtime, steps: Mapping[Category, Step]) -> CasePurger:
    """Adds the purge subscriber (own consumer group) to `runtime`; returns the purger for tests."""
    purger = CasePurger(
        runtime.service, steps, runtime.unit_of_work, runtime.outbox, runtime.inbox("purge"),
        purge_records_table(runtime.metadata),
    )
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

    commands(reject_unknown_command)
    runtime.include(router)
    return purger
