"""Kafka adapters of triage."""

from __future__ import annotations

import structlog
from faststream.kafka import KafkaRouter

from shared.contracts.intake import ReferralAccepted
from shared.contracts.topics import INTAKE_EVENTS, TRIAGE_EVENTS
from shared.contracts.triage import TriageCaseOpened
from shared.messaging.routing import of_type, skip_unknown_event
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing
from services.triage import service

log = structlog.get_logger(__name__)


def build_router(runtime: Runtime) -> KafkaRouter:
    router = KafkaRouter()
    intake_events = runtime.subscriber(router, "intake-events", INTAKE_EVENTS.name)
    inbox = runtime.inbox("intake-events")
    router.publisher(
        TRIAGE_EVENTS.name,
        schema=TriageCaseOpened,
        title=f"{TRIAGE_EVENTS.name}:TriageCaseOpened",
        description=TRIAGE_EVENTS.description,
    )

    @intake_events(filter=of_type("intake.referral-accepted"))
    async def on_referral_accepted(body: ReferralAccepted) -> None:
        with record_processing(
            runtime.tracer, "open triage case", Activity.TRIAGE, runtime.pseudonymizer, body.case_id
        ):
            opened = await service.open_triage_case(runtime.unit_of_work(), inbox, runtime.outbox, body)
        runtime.relay.wake()
        log.info("triage.case_opened", case_id=str(body.case_id), duplicate=not opened)

    intake_events(skip_unknown_event)
    return router
