"""The audit topic into the audit store, a batch at a time (thin adapter; the store decides)."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.audit.store import AuditStore
from shared.contracts.audit import AUDIT_MESSAGES
from shared.contracts.topics import AUDIT_EVENTS
from shared.messaging.batch import no_decoding, one_at_a_time, usable
from shared.runtime import Runtime

log = structlog.get_logger(__name__)
BATCH_RECORDS = 500


def build_router(runtime: Runtime, store: AuditStore) -> KafkaRouter:
    router = KafkaRouter()
    records = runtime.subscriber(
        router, "records", AUDIT_EVENTS.name, batch=True, max_records=BATCH_RECORDS, batch_timeout_ms=200,
        decoder=no_decoding, include_in_schema=False,
    )

    @records
    async def on_records(body: Any, msg: KafkaMessage) -> None:
        # Other audit facts on the topic (a refused inbound message) concern no dossier: skipped
        # as events of unknown type are; operations read them on the topic itself.
        found = await usable(msg.raw_message, AUDIT_MESSAGES, runtime.reliability, skip_unknown=True)
        await one_at_a_time(found, store.store, lambda r: store.store([r]), runtime.reliability)
        log.info("audit.stored", records=len(found))

    return router
