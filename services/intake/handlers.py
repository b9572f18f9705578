"""Kafka adapters of intake: validate, call one use case, let the outbox publish."""

from __future__ import annotations

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from shared.contracts.aanmelding import ReferralReceived, SubmitReferral
from shared.messaging.reliability import PoisonMessageError
from shared.messaging.routing import of_type, reject_unknown_command
from shared.contracts.topics import AANMELDING_EVENTS, PARTNER_INBOUND_PATTERN, party_of_inbound_topic
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing
from services.intake import service

log = structlog.get_logger(__name__)

def build_router(runtime: Runtime) -> KafkaRouter:
    router = KafkaRouter()
    inbound = runtime.subscriber(
        router,
        "inbound",
        pattern=PARTNER_INBOUND_PATTERN,
        title="partner-inbound",
        description="Each party's own inbound topic: referrals (aanmeldingen) and, later, answers.",
    )
    inbox = runtime.inbox("inbound")
    # Emitted through the outbox; declared here so the AsyncAPI document lists topic and payload.
    router.publisher(
        AANMELDING_EVENTS.name,
        schema=ReferralReceived,
        title=f"{AANMELDING_EVENTS.name}:ReferralReceived",
        description=AANMELDING_EVENTS.description,
    )

    @inbound(filter=of_type("aanmelding.submit-referral"))
    async def on_submit_referral(body: SubmitReferral, msg: KafkaMessage) -> None:
        party = party_of_inbound_topic(msg.raw_message.topic, runtime.settings.topic_prefix)
        if party is None:
            raise PoisonMessageError("not-an-inbound-topic")
        with record_processing(
            runtime.tracer, "register referral", Activity.AANMELDING, runtime.pseudonymizer
        ) as processing:
            outcome = await service.register_referral(runtime.unit_of_work(), inbox, runtime.outbox, body, party)
            if outcome.case_id is not None:
                processing.subject(outcome.case_id)
        runtime.relay.wake()
        log.info(
            "referral.registered",
            case_id=str(outcome.case_id),
            referrer_party=party,
            duplicate=outcome.duplicate,
        )

    inbound(reject_unknown_command)
    return router
