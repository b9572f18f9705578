"""Writing the audit store: each record once, however often the outbox relays it.

A relay publishes again after a crash between publish and delete (at-least-once), and the audit
topic is consumed in batches; the record's event id is the primary key, so an insert of a record
already stored does nothing (`ON CONFLICT DO NOTHING`). The audit service does not log its own
work as processings (LDV: processing inside the Logboek is not logged in a Logboek).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
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


def check_actor(record: AccessRecorded, wire: Any, register: StaffRegister | None, topic_prefix: str) -> str:
    """"hub" for a record the hub made itself (a disclosure to a party); for a staff member's own
    look (`wire`: its JSON object as received) "verified", or the reason its proof failed
    (shared/security/staff_identity.py), or "register_unreadable" when there is no register to
    judge by. A record that does not verify is kept, marked: a look that happened must stay in
    the log (Bijlage 3)."""
    if record.actor_type != "staff":
        return "hub"
    if register is None:
        return "register_unreadable"
    return judge_record(record, wire, register, topic_prefix=topic_prefix) or "verified"


async def _insert_new(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=["record_id"]), rows)


class AuditStore:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], now: Callable[[], datetime] = utcnow) -> None:
        self.unit_of_work = unit_of_work
        self.now = now

    async def store(
        self, records: Sequence[ProcessingRecorded | AccessRecorded], actor_checks: Mapping[uuid.UUID, str]
    ) -> None:
        """Store a batch in one transaction, each access record with its `actor_checks` entry (by
        event id; see `check_actor`); records stored before are left as they are."""
        stored_at = self.now()
        async with self.unit_of_work() as uow:
            await _insert_new(uow.session, ProcessingRecord.__table__, [
                processing_row(r, stored_at) for r in records if isinstance(r, ProcessingRecorded)
            ])
            await _insert_new(uow.session, AccessRecord.__table__, [
                access_row(r, actor_checks.get(r.event_id, "unchecked")) for r in records if isinstance(r, AccessRecorded)
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
