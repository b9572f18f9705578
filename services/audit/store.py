"""Writing the audit store: each record once, however often the outbox relays it.

A relay publishes again after a crash between publish and delete (at-least-once), and the audit
topic is consumed in batches; the record's event id is the primary key, so an insert of a record
already stored does nothing (`ON CONFLICT DO NOTHING`). The audit service does not log its own
work as processings (LDV: processing inside the Logboek is not logged in a Logboek).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.models import AccessRecord, ProcessingRecord
from shared.contracts.audit import AccessRecorded, ProcessingRecorded
from shared.contracts.envelope import utcnow
from shared.contracts.staff import StaffRegister
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.categories import Category
from shared.retention.policy import RetentionPolicy
from shared.security.staff_identity import judge_record

_PROCESSING_FIELDS = (
    "trace_id", "span_id", "parent_span_id", "name", "status", "start_time_ms", "end_time_ms", "service",
    "processing_activity_id", "data_subject_id", "data_subject_id_type",
)
_ACCESS_FIELDS = (
    "kind", "actor", "actor_type", "role", "on_behalf_of", "view", "purpose", "authorisation", "result", "source",
    "trace_id", "span_id",
)


def processing_row(record: ProcessingRecorded, stored_at: datetime) -> dict[str, Any]:
    return {"record_id": record.event_id, "stored_at": stored_at, **{f: getattr(record, f) for f in _PROCESSING_FIELDS}}


def access_row(record: AccessRecorded, actor_check: str) -> dict[str, Any]:
    """The access record as stored: the case only as its pseudonym, as it arrived, with whether
    its actor was proved (`actor_check`)."""
    return {
        "record_id": record.event_id, "occurred_at": record.occurred_at, "items": list(record.items),
        "data_subject_id": record.data_subject_id, "actor_check": actor_check,
        **{f: getattr(record, f) for f in _ACCESS_FIELDS},
    }


def check_actor(record: AccessRecorded, register: StaffRegister, topic_prefix: str) -> str:
    """"hub" for a record the hub made itself (a disclosure to a party); for a staff member's own
    look "verified", or the reason its proof failed (shared/security/staff_identity.py). A record
    that does not verify is kept, marked: a look that happened must stay in the log (Bijlage 3)."""
    if record.actor_type != "staff":
        return "hub"
    return judge_record(record, register, topic_prefix=topic_prefix) or "verified"


async def _insert_new(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=["record_id"]), rows)


class AuditStore:
    """`staff` is the staff register in force (StaffRegister() when none: no look verifies)."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        now: Callable[[], datetime] = utcnow,
        *,
        staff: Callable[[], StaffRegister] = StaffRegister,
        topic_prefix: str = "",
    ) -> None:
        self.unit_of_work = unit_of_work
        self.now = now
        self.staff = staff
        self.topic_prefix = topic_prefix

    async def store(self, records: Sequence[ProcessingRecorded | AccessRecorded]) -> None:
        """Store a batch in one transaction; records stored before are left as they are."""
        stored_at, staff = self.now(), self.staff()
        async with self.unit_of_work() as uow:
            await _insert_new(uow.session, ProcessingRecord.__table__, [
                processing_row(r, stored_at) for r in records if isinstance(r, ProcessingRecorded)
            ])
            await _insert_new(uow.session, AccessRecord.__table__, [
                access_row(r, check_actor(r, staff, self.topic_prefix)) for r in records if isinstance(r, AccessRecorded)
            ])
            await uow.commit()

    async def prune(self, policy: RetentionPolicy) -> dict[str, int]:
        """Delete what is past its term: processing records after `audit_records` days (from when
        they were stored), access records after `access_log` days (NEN 7513: at least five years)."""
        now = self.now()
        processing_cutoff = now - timedelta(days=policy.by_age[Category.AUDIT_RECORDS].term_days)
        access_cutoff = now - timedelta(days=policy.by_age[Category.ACCESS_LOG].term_days)
        async with self.unit_of_work() as uow:
            processing = await uow.session.execute(delete(ProcessingRecord).where(ProcessingRecord.stored_at < processing_cutoff))
            access = await uow.session.execute(delete(AccessRecord).where(AccessRecord.occurred_at < access_cutoff))
            await uow.commit()
        return {"processing_records": processing.rowcount or 0, "access_records": access.rowcount or 0}  # type: ignore[attr-defined]
