"""Kafka adapters of intake: read the message, call one use case, let the outbox answer."""

from __future__ import annotations

import operator
from contextlib import AbstractContextManager
from functools import reduce
from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter
from opentelemetry.context import Context

from services.intake.commands import IntakeCommands
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
from shared.messaging.batch import decoded, no_decoding, one_at_a_time, trace_of
from shared.messaging.reliability import PoisonMessageError
from shared.messaging.routing import of_type, reject_unknown_command, sender_of
from shared.runtime import Runtime
from shared.telemetry.processing import Activity, Processing, record_processing

log = structlog.get_logger(__name__)
# Records of the parties' inbound topics handled in one transaction: large enough to spread a
# commit over many, small enough that a batch that falls back to one at a time stays short.
INBOUND_BATCH = 200


def build_router(runtime: Runtime, intake: Intake, commands: IntakeCommands) -> KafkaRouter:
    router = KafkaRouter()
    _document(router)
    inbound = runtime.subscriber(
        router,
        "inbound",
        pattern=PARTNER_INBOUND_PATTERN,
        title="partner-inbound",
        description="Each party's own inbound topic: every message a party sends (docs/schemas; intake, triage and the Casusoverleg each take their own).",
        # A batch per fetch, one transaction and one offset commit for it (issue 13); each party's
        # turn stays the size of its partition's fetch, so batching keeps the fairness between
        # parties (issue 10, case 8).
        batch=True, max_records=INBOUND_BATCH, batch_timeout_ms=50, decoder=no_decoding, include_in_schema=False,
        max_partition_fetch_bytes=runtime.settings.fetch_bytes_per_partition,
    )
    prefix = runtime.settings.topic_prefix
    traces: dict[tuple[str, int, int], Context] = {}  # each record's own trace, by where it was read

    def observe(origin: tuple[str, int, int]) -> AbstractContextManager[Processing]:
        return record_processing(
            runtime.tracer, "receive from party", Activity.AANMELDING, runtime.pseudonymizer, context=traces.get(origin)
        )

    async def receive(messages: list[tuple[str, Any, tuple[str, int, int]]]) -> None:
        for (party, _, _), (outcome, case_id) in zip(messages, await intake.receive(messages, observe), strict=True):
            log.info("inbound.handled", referrer_party=party, outcome=outcome, case_id=str(case_id) if case_id else None)

    @inbound
    async def on_inbound(body: Any, msg: KafkaMessage) -> None:
        messages: list[tuple[Any, tuple[str, Any, tuple[str, int, int]]]] = []
        for record in msg.raw_message:
            try:
                party, origin = sender_of(record, prefix)
                message = decoded(record)
                if not isinstance(message, dict):
                    raise PoisonMessageError("undecodable", "body is not a JSON object")
            except PoisonMessageError as poison:
                await runtime.reliability.dead_letter(record, poison.reason, poison.detail)
                continue
            traces[origin] = trace_of(record)
            messages.append((record, (party, message, origin)))
        try:
            await one_at_a_time(messages, receive, lambda one: receive([one]), runtime.reliability)
        finally:
            traces.clear()
        runtime.relay.wake()

    on_commands = runtime.subscriber(router, "commands", INTAKE_COMMANDS.name)

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
