"""Kafka adapters of triage: accepted referrals, register facts, commands, answers from parties."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.triage.service import Triage
from shared.contracts.intake import ReferralAccepted
from shared.contracts.topics import (
    INTAKE_EVENTS,
    PARTNER_INBOUND_PATTERN,
    PARTNER_INBOX_PATTERN,
    TRIAGE_COMMANDS,
    TRIAGE_EVENTS,
)
from shared.contracts.triage import ConsultParties, DecideTriage, EscalateCase, TriageEvent, TriageInboxNotice
from shared.messaging.routing import (
    inbound_sender,
    lenient_decoder,
    of_type,
    reject_unknown_command,
    skip_unknown_event,
)
from shared.register.follow import follow_register
from shared.register.store import RegisterStore
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)
ANSWER = "triage.answer-consultation"


def build_router(runtime: Runtime, triage: Triage, register: RegisterStore) -> KafkaRouter:
    router = KafkaRouter()
    for topic, title, schema in (
        (TRIAGE_EVENTS.name, "triage-events", TriageEvent),
        (PARTNER_INBOX_PATTERN, "triage-to-partner", TriageInboxNotice),
    ):
        router.publisher(topic, schema=schema, title=f"{topic}:{title}")

    intake_events = runtime.subscriber(router, "intake-events", INTAKE_EVENTS.name)
    accepted_inbox = runtime.inbox("intake-events")

    @intake_events(filter=of_type("intake.referral-accepted"))
    async def on_referral_accepted(body: ReferralAccepted) -> None:
        with record_processing(runtime.tracer, "open triage case", Activity.TRIAGE, runtime.pseudonymizer, body.case_id):
            opened = await triage.open_case(accepted_inbox, body)
        runtime.relay.wake()
        log.info("triage.case_opened", case_id=str(body.case_id), duplicate=not opened)

    intake_events(skip_unknown_event)

    follow_register(runtime, router, register)

    commands = runtime.subscriber(router, "commands", TRIAGE_COMMANDS.name)

    async def carry_out(command: Any, msg: KafkaMessage, use_case: Any) -> None:
        with record_processing(
            runtime.tracer, command.command_type, Activity.TRIAGE, runtime.pseudonymizer, command.case_id
        ):
            refusal = await runtime.staff_gate.carry_out(command, msg, use_case)
        runtime.relay.wake()
        log.info("triage.command", command_type=command.command_type, case_id=str(command.case_id), refusal=refusal)

    @commands(filter=of_type("triage.consult-parties"))
    async def on_consult(body: ConsultParties, msg: KafkaMessage) -> None:
        await carry_out(body, msg, triage.consult)

    @commands(filter=of_type("triage.decide"))
    async def on_decide(body: DecideTriage, msg: KafkaMessage) -> None:
        await carry_out(body, msg, triage.decide)

    @commands(filter=of_type("triage.escalate"))
    async def on_escalate(body: EscalateCase, msg: KafkaMessage) -> None:
        await carry_out(body, msg, triage.escalate)

    commands(reject_unknown_command)

    inbound = runtime.subscriber(
        router, "inbound", pattern=PARTNER_INBOUND_PATTERN, include_in_schema=False, decoder=lenient_decoder
    )
    answers_inbox = runtime.inbox("inbound")

    @inbound(filter=of_type(ANSWER))
    async def on_answer(msg: KafkaMessage) -> None:
        party, origin = inbound_sender(msg, runtime.settings.topic_prefix)
        with record_processing(runtime.tracer, "receive consultation answer", Activity.TRIAGE, runtime.pseudonymizer):
            outcome = await triage.answer(answers_inbox, party, await msg.decode(), origin)
        runtime.relay.wake()
        log.info("triage.answer", party=party, outcome=outcome)

    @inbound
    async def not_for_triage(msg: KafkaMessage) -> None:
        """Referrals and intake's answers: intake reads them with its own consumer group."""

    return router
