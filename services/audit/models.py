"""The audit store: processing records (LDV) and access records (NEN 7513), append-only.

Both are kept apart as the standards ask (LDV: no users in processing records; NEN 7513: the
user, role and responsible user in the access log) and joined by trace id and data subject. The
case appears only as its pseudonym (HMAC of the case id under the hub's pseudonym key), so the
store cannot be joined to case data without that key, and purging a case's data in the services
leaves its audit trail whole. Rows are never updated; they are deleted only when the policy's term
ends (`audit_records`, `access_log`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.messaging.tables import messaging_tables
from shared.persistence.database import new_metadata
from shared.persistence.types import UTCDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


# Every table of the service's database is declared here, those shared code defines included, so a
# tool that migrates or reads the database needs these models only, not the service's runtime.
messaging = messaging_tables(Base.metadata)


class ProcessingRecord(Base):
    """One LDV record; its event id makes a relayed duplicate a no-op."""

    __tablename__ = "processing_record"
    __table_args__ = (
        Index("ix_processing_record_subject", "data_subject_id", "start_time_ms"),
        Index("ix_processing_record_activity", "processing_activity_id", "start_time_ms"),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    span_id: Mapped[str] = mapped_column(String(16))
    parent_span_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(8))
    start_time_ms: Mapped[int] = mapped_column(BigInteger)
    end_time_ms: Mapped[int] = mapped_column(BigInteger)
    service: Mapped[str] = mapped_column(String(32))
    processing_activity_id: Mapped[str] = mapped_column(String(100))
    data_subject_id: Mapped[str | None] = mapped_column(String(64))
    data_subject_id_type: Mapped[str | None] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AccessRecord(Base):
    """One NEN 7513 access event: who, which dossier (pseudonym), what, when, role, on whose behalf."""

    __tablename__ = "access_record"
    __table_args__ = (Index("ix_access_record_subject", "data_subject_id", "occurred_at"),)

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    data_subject_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64), index=True)
    actor_type: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(40))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    view: Mapped[str] = mapped_column(String(80))
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(40))
    authorisation: Mapped[str] = mapped_column(String(80))
    result: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(32))
    trace_id: Mapped[str | None] = mapped_column(String(32), index=True)
    span_id: Mapped[str | None] = mapped_column(String(16))
    # Whether the actor is proved: "verified" (a staff member's signed look), "hub" (a disclosure
    # the hub itself recorded), or why a staff member's record did not verify (e.g. proof_missing).
    actor_check: Mapped[str] = mapped_column(String(24))
