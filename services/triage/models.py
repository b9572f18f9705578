"""Triage's own tables: what triage needs about a case (minimal data), its consultations, its keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.crypto import case_keys_table
from shared.messaging.tables import messaging_tables
from shared.persistence.database import new_metadata
from shared.persistence.types import UTCDateTime
from shared.register.store import register_tables
from shared.retention.records import purge_records_table


class Base(DeclarativeBase):
    metadata = new_metadata()


# Every table of the service's database is declared here, those shared code defines included, so a
# tool that migrates or reads the database needs these models only, not the service's runtime.
messaging = messaging_tables(Base.metadata)
purge_records = purge_records_table(Base.metadata)  # proof of retention's purges here

case_keys = case_keys_table(Base.metadata)
register = register_tables(Base.metadata)

OPEN, TO_CASUSOVERLEG, NOT_A_CASE = "open", "casusoverleg", "not_a_zorgtafel_case"
ASKED, ANSWERED, NO_ANSWER = "asked", "answered", "no_answer"


class TriageCase(Base):
    __tablename__ = "triage_case"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    correlation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    referrer_party: Mapped[str] = mapped_column(String(100))
    referrer_reference: Mapped[str] = mapped_column(String(64))
    municipality: Mapped[str] = mapped_column(String(100))
    age_group: Mapped[str] = mapped_column(String(3))
    urgency: Mapped[str] = mapped_column(String(16))
    # The referrer's view of the Bijlage 2 criteria, as intake accepted them.
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the latest CriteriaEvaluated
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # route, brief; texts sealed
    escalated_to: Mapped[str | None] = mapped_column(String(40))


class Consultation(Base):
    """One party asked one question about one case (art. 12.2b)."""

    __tablename__ = "consultation"
    __table_args__ = (UniqueConstraint("question_id", "party"),)

    consultation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("triage_case.case_id"), index=True)
    question_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    party: Mapped[str] = mapped_column(String(100))
    question: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Sealed under the case key; NULL once cleansed
    asked_by: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    answer: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Sealed under the case key
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the party's Bijlage 2 view
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
