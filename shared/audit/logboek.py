"""Processing records that cannot be lost: staged in the processing's own transaction.

LDV (Logius, "Logboek Dataverwerkingen": the log must acknowledge every write, no sampling, one
record per action and data subject) and covenant Bijlage 3 (every processing is accountable). The
record of a processing is written when the use case records its message as processed in the inbox
(`shared.messaging.inbox.Inbox`, `on_processed`): the same transaction as the change itself, so a
crash leaves either both or neither, and a redelivery, which the inbox turns away, writes nothing.
The outbox then carries the record to `zorgtafel.audit.events.v1`, where the audit service stores
it once (by its event id) however often it is relayed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from uuid import UUID

from opentelemetry.trace import Tracer
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.access import disclosure
from shared.contracts.audit import ProcessingRecorded
from shared.contracts.envelope import Message, Notice, utcnow
from shared.contracts.topics import AUDIT_EVENTS, Topic, partner_inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.telemetry.processing import (
    ProcessingRecord,
    Pseudonymizer,
    failed,
    forget_failed,
    in_progress,
    record_processings,
)


def recorded_event(record: ProcessingRecord) -> ProcessingRecorded:
    """The record as the audit topic's event; its correlation id is the trace id (both 128 bits)."""
    # Built from the hub's own span and pseudonym, not from input: no validation needed (a purge
    # of thousands of cases records thousands of these in one transaction). The envelope's
    # factory defaults are given here: model_construct inspects each factory's signature per call.
    return ProcessingRecorded.model_construct(
        event_id=uuid.uuid4(), occurred_at=utcnow(), producer=record.service,
        correlation_id=uuid.UUID(hex=record.trace_id), **record.__dict__
    )


class Logboek:
    """Stages processing records into the caller's session: those of the processings in progress
    (`record`, from the inbox), or of work about given cases (`record_cases`, for a batch or a
    scheduled job that has no message of its own)."""

    def __init__(self, outbox: Outbox, service: str, tracer: Tracer, pseudonymizer: Pseudonymizer) -> None:
        self._outbox = outbox
        self._service = service
        self._tracer = tracer
        self._pseudonymizer = pseudonymizer

    async def record(self, session: AsyncSession) -> int:
        """Stage one record per processing in progress not yet recorded; returns how many.

        Outside any processing it stages nothing: work that touches no personal data (register
        facts, ledger bookkeeping) is not a processing of it.
        """
        due = [p for p in in_progress() if not p.recorded]
        await self._outbox.stage_many(session, [(AUDIT_EVENTS, recorded_event(p.record(self._service))) for p in due])
        for processing in due:
            processing.recorded = True
        return len(due)

    async def deliver(self, session: AsyncSession, party: str, notice: Notice, *, case_id: UUID) -> None:
        """Stage `notice` for `party`'s inbox and, if it discloses case information, its access
        record (NEN 7513; Bijlage 3), in the caller's transaction: they commit together. The
        record names the case by its pseudonym only."""
        record = disclosure(self._pseudonymizer.subject_id(case_id), party, notice, self._service)
        staged: list[tuple[Topic, Message]] = [(partner_inbox(party), notice)]
        if record is not None:
            staged.append((AUDIT_EVENTS, record))
        await self._outbox.stage_many(session, staged)

    async def record_failures(self, unit_of_work: Callable[[], UnitOfWork], technical: bool = True) -> int:
        """Before a message is dead-lettered: the records of its processings that failed, in a
        transaction of their own, since theirs rolled back: status Error for a technical failure,
        Unset for input refused as unusable (LDV rule 6: every action records whether it
        succeeded). Returns how many; raises what the database raises (the dead letter then
        waits, and so does the consumer)."""
        due = [p for p in failed() if not p.recorded]
        for processing in due:
            processing.status = "Error" if technical else "Unset"
        if due:
            async with unit_of_work() as uow:
                await self._outbox.stage_many(
                    uow.session, [(AUDIT_EVENTS, recorded_event(p.record(self._service))) for p in due]
                )
                await uow.commit()
        forget_failed()
        return len(due)

    async def record_cases(self, session: AsyncSession, name: str, activity: str, case_ids: Sequence[UUID]) -> int:
        """One processing (a span and its record) per case in `case_ids`, children of the current
        span, staged in `session`: the records commit with the work or not at all. For a batch,
        pass only the cases it did (not the redelivered ones); for a job, the cases it changed."""
        if not case_ids:
            return 0
        with record_processings(self._tracer, name, activity, self._pseudonymizer, list(case_ids)):
            return await self.record(session)
