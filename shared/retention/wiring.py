"""Wires retention's requests into a service: purges (art. 1.2) and access exports (Bijlage 3).

Purge commands are consumed in batches (up to `BATCH_RECORDS` at a time): this service's purges of
a batch run in one transaction, each case with its own counts, purge record, completion event and
inbox entry (`CasePurger.purge_many`), so a mass purge does not pay a transaction per case. An
export runs on its own, after the purges before it in the batch (a case's order is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from shared.contracts.retention import PurgeCase, PurgeCompleted
from shared.contracts.rights import ExportCase, ExportCompleted
from shared.contracts.topics import PURGE_COMMANDS, RETENTION_EVENTS
from shared.crypto.hub_keys import HubKeys
from shared.messaging.batch import alone, no_decoding, one_at_a_time, usable
from shared.retention.categories import Category
from shared.retention.export import CaseExporter, ExportSource
from shared.retention.purge import CasePurger, Step
from shared.retention.records import purge_records_table
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)
BATCH_RECORDS = 500
REQUESTS: dict[str, Any] = {"retention.purge-case": PurgeCase, "retention.export-case": ExportCase}


def install_retention(runtime: Runtime, steps: Mapping[Category, Step], source: ExportSource, keys: HubKeys) -> None:
    """Adds the subscriber of retention's requests (its own consumer group) to `runtime`."""
    inbox = runtime.inbox("purge")
    purger = CasePurger(
        runtime.service, steps, runtime.unit_of_work, runtime.outbox, inbox, purge_records_table(runtime.metadata),
        logboek=runtime.logboek,
    )
    exporter = CaseExporter(runtime.service, source, keys, runtime.unit_of_work, runtime.outbox, inbox, runtime.logboek)
    router = KafkaRouter()
    # The batch handler takes raw records (it parses each itself), so AsyncAPI learns the
    # contracts from these declarations instead of from the handler's signature.
    router.publisher(RETENTION_EVENTS.name, schema=PurgeCompleted | ExportCompleted, title=f"{RETENTION_EVENTS.name}:{runtime.service}-answers")
    requests = runtime.subscriber(
        router, "purge", PURGE_COMMANDS.name, batch=True, max_records=BATCH_RECORDS, batch_timeout_ms=200,
        decoder=no_decoding, include_in_schema=False,
    )

    async def purge(pending: list[tuple[Any, PurgeCase]]) -> None:
        if not pending:
            return
        # Destroying personal data is itself a processing of it: the purger records one per case
        # it purges, in the purge's own transaction (shared/retention/purge.py).
        await one_at_a_time(pending, purger.purge_many, purger.purge, runtime.reliability)
        log.info("retention.purged", service=runtime.service, purges=len(pending))

    async def export(record: Any, command: ExportCase) -> None:
        # An export opens the person's data and discloses it to a party: a processing of its own.
        with record_processing(runtime.tracer, "export case", Activity.INZAGE, runtime.pseudonymizer, command.case_id):
            await alone(record, command, exporter.export, runtime.reliability)
        log.info("retention.exported", case_id=str(command.case_id), request_id=str(command.request_id))

    @requests
    async def on_retention_requests(body: Any, msg: KafkaMessage) -> None:
        pending: list[tuple[Any, PurgeCase]] = []
        for record, message in await usable(msg.raw_message, REQUESTS, runtime.reliability, skip_unknown=False):
            if message.service != runtime.service:  # type: ignore[attr-defined]
                continue
            if isinstance(message, PurgeCase):
                pending.append((record, message))
            else:
                await purge(pending)  # the purges before it first: a case's order is kept
                pending = []
                await export(record, message)  # type: ignore[arg-type]
        await purge(pending)
        runtime.relay.wake()

    runtime.include(router)
