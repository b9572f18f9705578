"""The audit topic into the audit store, a batch at a time (thin adapter; the store decides)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.audit.store import AuditStore, check_actor
from shared.contracts.audit import AUDIT_MESSAGES, AccessRecorded
from shared.contracts.staff import StaffRegister
from shared.contracts.topics import AUDIT_EVENTS
from shared.messaging.batch import no_decoding, one_at_a_time, usable
from shared.runtime import Runtime
from shared.security.staff_register import StaffRegisterError

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
        checks = actor_checks(runtime, found)
        await one_at_a_time(found, lambda rs: store.store(rs, checks), lambda r: store.store([r], checks), runtime.reliability)
        log.info("audit.stored", records=len(found))

    return router


def actor_checks(runtime: Runtime, found: list[tuple[Any, Any]]) -> dict[uuid.UUID, str]:
    """Whether each access record's actor is proved, judged on the JSON as it was sent, by the
    staff register the runtime watches; a register that cannot be trusted leaves the looks
    marked, never unstored (the access log keeps every look, Bijlage 3)."""
    try:
        register: StaffRegister | None = runtime.staff_gate.register.current()
    except StaffRegisterError as exc:
        log.warning("audit.staff_register_unusable", error_type=type(exc).__name__)
        register = None
    prefix = runtime.settings.topic_prefix
    return {
        event.event_id: check_actor(event, json.loads(record.value), register, prefix)
        for record, event in found if isinstance(event, AccessRecorded)
    }
