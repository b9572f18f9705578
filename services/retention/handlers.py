"""Kafka adapters of retention: the hub's case events, purge confirmations, erasure decisions."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter
from pydantic import ValidationError

from services.retention.purges import Purges
from services.retention.rights import Rights
from services.retention.service import CaseFollower, parse_followed
from shared.contracts.retention import PurgeCase, PurgeCompleted, RetentionEvent
from shared.contracts.rights import DecideErasure, ExportCase, ExportCompleted, RequestAccessExport, RightsEvent
from shared.contracts.topics import (
    AANMELDING_EVENTS,
    AFSCHALING_EVENTS,
    INTAKE_EVENTS,
    MEETING_EVENTS,
    PLAN_OF_ACTION_EVENTS,
    PURGE_COMMANDS,
    RETENTION_COMMANDS,
    RETENTION_EVENTS,
    TRIAGE_EVENTS,
)
from shared.messaging.batch import Poison, alone, body_of, no_decoding, one_at_a_time, usable
from shared.messaging.batched import batch_consumer
from shared.messaging.reliability import describe_validation_error
from shared.messaging.routing import of_type, reject_unknown_command
from shared.register.follow import follow_register
from shared.register.store import RegisterStore
from shared.runtime import Runtime
from shared.security.staff_gate import staff_commands
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)
CONFIRMATIONS: dict[str, Any] = {"retention.purge-completed": PurgeCompleted, "retention.export-completed": ExportCompleted}
CASE_TOPICS = (AANMELDING_EVENTS, INTAKE_EVENTS, TRIAGE_EVENTS, MEETING_EVENTS, PLAN_OF_ACTION_EVENTS, AFSCHALING_EVENTS)


def build_router(
    runtime: Runtime, follower: CaseFollower, purges: Purges, rights: Rights, register: RegisterStore
) -> KafkaRouter:
    router = KafkaRouter()
    router.publisher(RETENTION_EVENTS.name, schema=RetentionEvent, title=f"{RETENTION_EVENTS.name}:retention-events")
    router.publisher(RETENTION_EVENTS.name, schema=RightsEvent, title=f"{RETENTION_EVENTS.name}:rights-events")
    router.publisher(PURGE_COMMANDS.name, schema=PurgeCase | ExportCase, title=f"{PURGE_COMMANDS.name}:requests")

    case_inbox = runtime.inbox("case-events")

    def followed(record: Any) -> Any:
        body = body_of(record)
        if isinstance(body, Poison):
            return body
        try:
            return parse_followed(body)  # None: a notice about no case, nothing to keep
        except ValidationError as exc:
            return Poison("schema-invalid", describe_validation_error(exc))

    def entered(event: Any, outcome: str) -> None:
        if outcome.startswith("phase:"):
            log.info("retention.phase_entered", case_id=str(event.case_id), phase=outcome.removeprefix("phase:"))

    batch_consumer(
        runtime, router, "case-events", *(t.name for t in CASE_TOPICS),
        parse=followed, step=lambda event: follower.on_event(case_inbox, event), done=entered,
    )

    # Confirmations come in batches during a mass purge: one transaction for a batch of them.
    completions = runtime.subscriber(
        router, "retention-events", RETENTION_EVENTS.name, batch=True, max_records=500, batch_timeout_ms=200,
        decoder=no_decoding, include_in_schema=False,
    )
    completion_inbox = runtime.inbox("retention-events")

    async def confirm(pending: list[tuple[Any, PurgeCompleted]]) -> None:
        if pending:
            await one_at_a_time(
                pending, lambda events: purges.on_completed_many(completion_inbox, events),
                lambda event: purges.on_completed(completion_inbox, event), runtime.reliability,
            )
            log.info("retention.purges_confirmed", confirmations=len(pending))

    @completions
    async def on_retention_events(body: Any, msg: KafkaMessage) -> None:
        pending: list[tuple[Any, PurgeCompleted]] = []
        # Other retention events are not for this consumer: skipped, not dead-lettered.
        for record, event in await usable(msg.raw_message, CONFIRMATIONS, runtime.reliability, skip_unknown=True):
            if isinstance(event, PurgeCompleted):
                pending.append((record, event))
            else:
                await confirm(pending)
                pending = []
                await alone(record, event, lambda e: rights.on_export_completed(completion_inbox, e), runtime.reliability)
        await confirm(pending)

    commands = staff_commands(runtime, router, RETENTION_COMMANDS)
    command_inbox = runtime.inbox("commands")

    @commands(filter=of_type("retention.decide-erasure"))
    async def on_decide_erasure(body: DecideErasure, msg: KafkaMessage) -> None:
        with record_processing(runtime.tracer, "decide erasure", Activity.VERWIJDERING, runtime.pseudonymizer, body.case_id):
            refusal = await runtime.staff_gate.carry_out(body, msg, lambda c: rights.decide_erasure(command_inbox, c))
        runtime.relay.wake()
        log.info("retention.erasure_decided", case_id=str(body.case_id), refused_for=body.refused_for, refusal=refusal)

    @commands(filter=of_type("retention.request-access-export"))
    async def on_request_access_export(body: RequestAccessExport, msg: KafkaMessage) -> None:
        with record_processing(runtime.tracer, "request access export", Activity.INZAGE, runtime.pseudonymizer, body.case_id):
            refusal = await runtime.staff_gate.carry_out(body, msg, lambda c: rights.request_access_export(command_inbox, c))
        runtime.relay.wake()
        log.info("retention.access_export_requested", case_id=str(body.case_id), refusal=refusal)

    commands(reject_unknown_command)
    follow_register(runtime, router, register)
    return router
