"""Retention's own tables: the cases it follows, the purge ledger, the erasure requests and the
non-personal facts the yearly report counts (art. 11.3d).

The ledger proves each purge without keeping the data: a pseudonymous case reference (HMAC of
the case id under the hub's pseudonym key), the category, the policy version, the due day, when
it was issued, and each service's confirmation with its count. The case id itself is kept only
while the case still has purges to come (`retention_case`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.messaging.tables import messaging_tables
from shared.persistence.database import new_metadata
from shared.persistence.types import UTCDateTime
from shared.register.store import register_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


# Every table of the service's database is declared here, those shared code defines included, so a
# tool that migrates or reads the database needs these models only, not the service's runtime.
messaging = messaging_tables(Base.metadata)

register = register_tables(Base.metadata)


class RetentionCase(Base):
    """A case whose data still has purges to come; deleted once its record is gone everywhere."""

    __tablename__ = "retention_case"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), unique=True)
    correlation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    phase: Mapped[str | None] = mapped_column(String(32))  # the latest phase entered, None while active
    phase_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who may receive the person's access export: the referrer and the parties triage designated
    # for the Casusoverleg (need to know, art. 8.4c; Bijlage 3), never any other party.
    involved: Mapped[list[str]] = mapped_column(JSON, default=list)


PENDING, ISSUED, CONFIRMED = "pending", "issued", "confirmed"


class LedgerEntry(Base):
    """One category of one case in one service: when it is due, and the proof that it was done."""

    __tablename__ = "purge_ledger"
    __table_args__ = (
        UniqueConstraint("case_ref", "service", "category"),
        # Due entries in issuing order (`issue_due`'s ORDER BY due_on, id LIMIT n): a backlog is
        # read batch by batch from the index instead of sorted whole for every batch.
        Index("ix_purge_ledger_due", "state", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Found through the unique constraint's index (case_ref leads it): a second index on it would
    # only cost every issue and confirmation of an entry one more index insert.
    case_ref: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    purge_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    count: Mapped[int | None] = mapped_column(Integer)  # rows (or keys) the service purged
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RightsRequest(Base):
    """A request of the person (Bijlage 3) and its outcome: erasure carried out or refused with its
    reason, or an access export with each service's confirmation (a count of texts, never them)."""

    __tablename__ = "rights_request"

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # erasure | access_export | correction
    outcome: Mapped[str] = mapped_column(String(16))  # granted | refused (erasure), requested | sent (export), carried_out (correction)
    refused_for: Mapped[str | None] = mapped_column(String(32))
    for_party: Mapped[str | None] = mapped_column(String(100))
    decided_by: Mapped[str] = mapped_column(String(120))  # a staff id, or party:<code> for a correction
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmations: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # service -> texts sent


class CaseFact(Base):
    """What the yearly report counts (art. 11.3d): dates and the referring sector, nothing personal."""

    __tablename__ = "case_fact"

    case_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Set by the referral's own event, which may arrive after others (topics are not ordered).
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    referrer_sector: Mapped[str | None] = mapped_column(String(40))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_a_case_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    casusoverleg_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    afgeschaald_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
