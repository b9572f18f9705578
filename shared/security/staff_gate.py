"""The gate before every staff command handler: a command is carried out only when the staff
member who issued it proved it (covenant art. 12.2, 17; Bijlage 3: who did what is logged).

A refused command is recorded once: a `StaffCommandRefused` audit record is staged in the same
transaction that marks the command processed, so a redelivery neither repeats nor loses it.

Every command is answered once, for the tool that sent it (`StaffCommandAnswered` on
zorgtafel.staff.answers.v1, issue 14, docs/decisions/0016): carried out, or refused with the
reason code. The use case runs inside one transaction (`one_transaction`) that its own unit of
work joins, and the answer is staged in it, so the answer commits with the command's effect or
refusal and never without it. A redelivery, already in the inbox, is answered by nobody: its
first delivery was.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from faststream.kafka import KafkaRouter
from faststream.message import StreamMessage
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.staff import StaffCommand, StaffCommandAnswered, StaffCommandRefused
from shared.contracts.topics import AUDIT_EVENTS, STAFF_ANSWERS, Topic
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.security.staff_identity import judge_proof
from shared.security.staff_register import RegisterFile
from shared.telemetry.processing import not_carried_out

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = structlog.get_logger(__name__)
REFUSED = "staff_proof_refused"
C = TypeVar("C", bound=StaffCommand)


def wall_clock() -> datetime:
    return datetime.now(UTC)


class StaffGate:
    """Judges each staff command against the staff register in force (re-read when it changes).

    `now` is the wall clock, never a service's domain clock: freshness and key validity are about
    when a person signed, whatever day retention's tests pretend it is."""

    def __init__(
        self,
        register: RegisterFile,
        *,
        service: str,
        topic_prefix: str,
        max_age: timedelta,
        unit_of_work: Callable[[], UnitOfWork],
        outbox: Outbox,
        inbox: Inbox,
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.register = register
        self._service, self._prefix, self._max_age = service, topic_prefix, max_age
        self._unit_of_work, self._outbox, self._inbox, self._now = unit_of_work, outbox, inbox, now

    async def carry_out(
        self, command: C, message: StreamMessage[Any], use_case: Callable[[C], Awaitable[str | None]]
    ) -> str | None:
        """`use_case(command)` (its refusal reason, or None when done) when the proof of the
        command read from `message` holds; REFUSED, audited, when it does not. Either way the
        command is answered (`StaffCommandAnswered`) in the same transaction, unless it was
        processed before. `use_case` must commit its unit of work (which joins this transaction)
        whenever it wrote: one that leaves it uncommitted fails the command (UncommittedInBatch)."""
        wire = await message.decode()
        async with self._unit_of_work().one_transaction() as session:
            await _one_delivery_at_a_time(session, command.command_id)
            if await self._inbox.seen(session, command.command_id):
                return None  # processed and answered before: a redelivery changes nothing, refuses nothing
            if not await self.admit(command, wire):
                return REFUSED
            refusal = await use_case(command)
            await self._answer(session, command, refusal)
        return refusal

    async def _answer(self, session: AsyncSession, command: StaffCommand, refusal: str | None) -> None:
        await self._outbox.stage(session, STAFF_ANSWERS, StaffCommandAnswered(
            producer=self._service, correlation_id=command.conversation_id, causation_id=command.command_id,
            command_id=command.command_id, command_type=command.command_type,
            outcome="carried_out" if refusal is None else "refused", reason=refusal,
        ))

    async def admit(self, command: StaffCommand, wire: Any) -> bool:
        """True when the command (whose JSON object as received is `wire`) may be carried out.
        Otherwise its refusal is audited and answered (once) and the command is recorded as
        processed; False. Raises StaffRegisterError, TRANSIENT, while the register cannot be
        trusted: nothing is decided, and the command is tried again until an operator mends the
        register."""
        register = self.register.current()
        reason = judge_proof(
            command, wire, register, topic_prefix=self._prefix, now=self._now(), max_age=self._max_age
        )
        if reason is None:
            return True
        proof = command.proof
        async with self._unit_of_work() as uow:
            if not await self._inbox.seen(uow.session, command.command_id):
                await self._outbox.stage(uow.session, AUDIT_EVENTS, StaffCommandRefused(
                    producer=self._service, correlation_id=command.conversation_id, causation_id=command.command_id,
                    command_id=command.command_id, command_type=command.command_type,
                    claimed_staff_id=proof.staff_id if proof else None, key_id=proof.key_id if proof else None,
                    reason=reason, register_version=register.version,
                ))
                await self._answer(uow.session, command, reason)
                await self._inbox.record(uow.session, command.command_id)
                await uow.commit()
        not_carried_out()  # LDV: a refused request is Unset, not Ok
        log.warning("staff_command.refused", command_type=command.command_type, reason=reason)
        return False


async def _one_delivery_at_a_time(session: AsyncSession, command_id: uuid.UUID) -> None:
    """On PostgreSQL, hold a lock on the command id until the transaction ends. Two deliveries of
    one command at once (a rebalance hands it to a second consumer while the first still works on
    it) would otherwise both read "not answered" before either commits; the second then finds the
    command done by the first, and would answer "carried out" whatever the first answered. SQLite
    takes one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(command_id.bytes[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def staff_commands(runtime: Runtime, router: KafkaRouter, topic: Topic) -> Any:
    """The subscriber of a service's staff command topic, and the answers it stages declared beside
    it: whoever takes staff commands answers them, so its principal may write the answers topic
    (shared/security/endpoints.py) and the AsyncAPI document shows it."""
    router.publisher(
        STAFF_ANSWERS.name, schema=StaffCommandAnswered, title=f"{STAFF_ANSWERS.name}:{runtime.service}-answers",
        description=STAFF_ANSWERS.description,
    )
    return runtime.subscriber(router, "commands", topic.name)
