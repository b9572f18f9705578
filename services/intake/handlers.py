"""Kafka adapters of intake: read the message, call one use case, let the outbox answer."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.intake.commands import IntakeCommands
from services.intake.config import SERVICE
from services.intake.service import Intake
from shared.contracts.aanmelding import ReferralReceived
from shared.contracts.audit import AccessRecorded, ProcessingRecorded
from shared.contracts.intake import (
    AcceptReferral,
    AskReferrer,
    DeclineReferral,
    InboundRefused,
    InboxNotice,
    IntakeEvent,
)
from shared.contracts.partner import PARTNER_COMMANDS
from shared.contracts.register import AdmitParty, ExcludeParty, RecordPartyLeaving, RegisterEvent
from shared.contracts.topics import (
    AANMELDING_EVENTS,
    AUDIT_EVENTS,
    INTAKE_COMMANDS,
    INTAKE_EVENTS,
    PARTNER_INBOUND_PATTERN,
    PARTNER_INBOX_PATTERN,
    REGISTER_EVENTS,
    partner_topics,
)
from shared.messaging.admin import ensure_topics
from shared.messaging.batched import party_consumer
from shared.messaging.routing import of_type, reject_unknown_command
from shared.runtime import Runtime
from shared.security.staff_gate import staff_commands
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)


def build_router(runtime: Runtime, intake: Intake, commands: IntakeCommands) -> KafkaRouter:
    router = KafkaRouter()
    _document(router)
    async def receive(message: tuple[str, dict[str, Any], tuple[str, int, int]]) -> tuple[str, Any]:
        with record_processing(runtime.tracer, "receive from party", Activity.AANMELDING, runtime.pseudonymizer) as processing:
            outcome, case_id = await intake.receive(*message)
            if case_id is not None:
                processing.subject(case_id)
        return outcome, case_id

    def handled(message: tuple[str, dict[str, Any], tuple[str, int, int]], result: tuple[str, Any]) -> None:
        outcome, case_id = result
        log.info("inbound.handled", referrer_party=message[0], outcome=outcome, case_id=str(case_id) if case_id else None)

    # A batch per fetch, one transaction and one offset commit for it (issue 13). Intake answers for
    # every record of the parties' topics: what nobody can read is dead-lettered here, and a type no
    # service owns is intake's to reject.
    party_consumer(runtime, router, SERVICE, step=receive, done=handled, answers_all=True, prepare=intake.prefetch)

    on_commands = staff_commands(runtime, router, INTAKE_COMMANDS)

    async def judge(command: AcceptReferral | DeclineReferral | AskReferrer, msg: KafkaMessage) -> None:
        with record_processing(
            runtime.tracer, command.command_type, Activity.INTAKE, runtime.pseudonymizer, command.case_id
        ):
            refusal = await runtime.staff_gate.carry_out(command, msg, commands.judge)
        runtime.relay.wake()
        log.info("intake.judged", command_type=command.command_type, case_id=str(command.case_id), refusal=refusal)

    @on_commands(filter=of_type("intake.accept-referral"))
    async def on_accept(body: AcceptReferral, msg: KafkaMessage) -> None:
        await judge(body, msg)

    @on_commands(filter=of_type("intake.decline-referral"))
    async def on_decline(body: DeclineReferral, msg: KafkaMessage) -> None:
        await judge(body, msg)

    @on_commands(filter=of_type("intake.ask-referrer"))
    async def on_ask(body: AskReferrer, msg: KafkaMessage) -> None:
        await judge(body, msg)

    async def change(command: AdmitParty | RecordPartyLeaving | ExcludeParty, msg: KafkaMessage) -> None:
        refusal = await runtime.staff_gate.carry_out(command, msg, commands.change_register)
        runtime.relay.wake()
        if refusal is None and isinstance(command, AdmitParty):
            # A new party can refer and be written to at once: its topics exist from now on.
            await ensure_topics(
                runtime.settings.kafka_access(),
                partner_topics([command.party.code]),
                policy=runtime.policy,
                prefix=runtime.settings.topic_prefix,
            )
        log.info("register.changed", command_type=command.command_type, refusal=refusal)

    @on_commands(filter=of_type("register.admit-party"))
    async def on_admit(body: AdmitParty, msg: KafkaMessage) -> None:
        await change(body, msg)

    @on_commands(filter=of_type("register.record-party-leaving"))
    async def on_leaving(body: RecordPartyLeaving, msg: KafkaMessage) -> None:
        await change(body, msg)

    @on_commands(filter=of_type("register.exclude-party"))
    async def on_exclude(body: ExcludeParty, msg: KafkaMessage) -> None:
        await change(body, msg)

    on_commands(reject_unknown_command)
    return router


def _document(router: KafkaRouter) -> None:
    """Declare what intake emits through its outbox, so the AsyncAPI document lists it."""
    emitted: list[tuple[str, str, Any]] = [
        (AANMELDING_EVENTS.name, "ReferralReceived", ReferralReceived),
        (INTAKE_EVENTS.name, "intake-events", IntakeEvent),
        (REGISTER_EVENTS.name, "register-events", RegisterEvent),
        (AUDIT_EVENTS.name, "audit-records", InboundRefused | ProcessingRecorded | AccessRecorded),
        (PARTNER_INBOX_PATTERN, "partner-inbox", InboxNotice),
        # Every message a party may send, whichever service takes it (shared/contracts/partner.py).
        (PARTNER_INBOUND_PATTERN, "partner-inbound", reduce(operator.or_, PARTNER_COMMANDS.values())),
    ]
    for topic, title, schema in emitted:
        router.publisher(topic, schema=schema, title=f"{topic}:{title}")
