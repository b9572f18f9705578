"""Kafka adapters of triage: accepted referrals, register facts, commands, answers from parties."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.triage.config import SERVICE
from services.triage.service import Triage
from shared.contracts.intake import ReferralAccepted
from shared.contracts.topics import (
    INTAKE_EVENTS,
    PARTNER_INBOX_PATTERN,
    TRIAGE_COMMANDS,
    TRIAGE_EVENTS,
)
from shared.contracts.triage import ConsultParties, DecideTriage, EscalateCase, TriageEvent, TriageInboxNotice
from shared.messaging.batched import batch_consumer, party_consumer, typed
from shared.messaging.routing import of_type, reject_unknown_command
from shared.register.follow import follow_register
from shared.register.store import RegisterStore
from shared.runtime import Runtime
from shared.security.staff_gate import staff_commands
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)


def build_router(runtime: Runtime, triage: Triage, register: RegisterStore) -> KafkaRouter:
    router = KafkaRouter()
    for topic, title, schema in (
        (TRIAGE_EVENTS.name, "triage-events", TriageEvent),
        (PARTNER_INBOX_PATTERN, "triage-to-partner", TriageInboxNotice),
    ):
        router.publisher(topic, schema=schema, title=f"{topic}:{title}")

    accepted_inbox = runtime.inbox("intake-events")

    async def open_case(event: ReferralAccepted) -> bool:
        with record_processing(runtime.tracer, "open triage case", Activity.TRIAGE, runtime.pseudonymizer, event.case_id):
            return await triage.open_case(accepted_inbox, event)

    batch_consumer(
        runtime, router, "intake-events", INTAKE_EVENTS.name,
        parse=typed({"intake.referral-accepted": ReferralAccepted}), step=open_case,
        done=lambda event, opened: log.info("triage.case_opened", case_id=str(event.case_id), duplicate=not opened),
    )

    follow_register(runtime, router, register)

    commands = staff_commands(runtime, router, TRIAGE_COMMANDS)

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

    answers_inbox = runtime.inbox("inbound")

    async def answer(message: tuple[str, dict[str, Any], tuple[str, int, int]]) -> str:
        party, body, origin = message
        with record_processing(runtime.tracer, "receive consultation answer", Activity.TRIAGE, runtime.pseudonymizer):
            return await triage.answer(answers_inbox, party, body, origin)

    # Referrals and intake's answers share the topic: intake reads them with its own consumer group.
    party_consumer(
        runtime, router, SERVICE, step=answer,
        done=lambda message, outcome: log.info("triage.answer", party=message[0], outcome=outcome),
    )

    return router
