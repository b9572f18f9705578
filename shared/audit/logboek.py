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
from collections.abc import Collection
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.audit import ProcessingRecorded
from shared.contracts.topics import AUDIT_EVENTS
from shared.messaging.outbox import Outbox
from shared.telemetry.processing import ProcessingRecord, in_progress


def recorded_event(record: ProcessingRecord) -> ProcessingRecorded:
    """The record as the audit topic's event; its correlation id is the trace id (both 128 bits)."""
    return ProcessingRecorded(
        producer=record.service, correlation_id=uuid.UUID(hex=record.trace_id), **record.__dict__
    )


class Logboek:
    """Stages the records of the processings in progress into the caller's session."""

    def __init__(self, outbox: Outbox, service: str) -> None:
        self._outbox = outbox
        self._service = service

    async def record(self, session: AsyncSession, cases: Collection[UUID] | None = None) -> int:
        """Stage one record per processing in progress not yet recorded; with `cases`, only those
        whose data subject is one of them (a batch's processings, of which some were redelivered).

        Returns how many were staged. Outside any processing it stages nothing: work that touches
        no personal data (register facts, ledger bookkeeping) is not a processing of it.
        """
        due = [p for p in in_progress() if not p.recorded and (cases is None or p.case_id in cases)]
        await self._outbox.stage_many(session, [(AUDIT_EVENTS, recorded_event(p.record(self._service))) for p in due])
        for processing in due:
            processing.recorded = True
        return len(due)
