"""Intake's own tables. Personal data lives only here, and only sealed under the case's data key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, Uuid
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

# Case statuses; a case is open (a repeat referral links to it) while received or accepted.
RECEIVED, ACCEPTED, DECLINED = "received", "accepted", "declined"
OPEN_STATUSES = (RECEIVED, ACCEPTED)


class Case(Base):
    __tablename__ = "intake_case"
    __table_args__ = (Index("ix_intake_case_match_bsn", "match_bsn"), Index("ix_intake_case_match_name", "match_name"))

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Every event of the case carries the referral's correlation id: one business conversation.
    correlation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    referrer_party: Mapped[str] = mapped_column(String(100))
    referrer_reference: Mapped[str] = mapped_column(String(64))
    municipality: Mapped[str] = mapped_column(String(100))
    age_group: Mapped[str] = mapped_column(String(3))
    urgency: Mapped[str] = mapped_column(String(16))
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Keyed hashes (matching.py); never clear identifiers.
    match_bsn: Mapped[str | None] = mapped_column(String(64))
    match_name: Mapped[str | None] = mapped_column(String(64))  # NULL once cleansed (retention)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Sealed under the case key
    # W3C traceparent of the referral's processing: every later command about the case continues
    # this trace, so one trace runs from the partner's publish through the Casusoverleg (LDV: the
    # trace groups the processings serving one original processing). Ids only, no data.
    trace_parent: Mapped[str | None] = mapped_column(String(64))


class Referral(Base):
    """Every referral taken, the first of a case and any repeat linked to it later."""

    __tablename__ = "referral"
    __table_args__ = (UniqueConstraint("referrer_party", "referrer_reference"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_case.case_id"), index=True)
    referrer_party: Mapped[str] = mapped_column(String(100))
    referrer_reference: Mapped[str] = mapped_column(String(64))
    linked_as_repeat: Mapped[bool]
    # ReferralPersonalData, Sealed under the case key; NULL once cleansed (retention).
    personal: Mapped[dict[str, str] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Question(Base):
    __tablename__ = "referrer_question"

    question_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intake_case.case_id"), index=True)
    referrer_party: Mapped[str] = mapped_column(String(100))
    asked_by: Mapped[str] = mapped_column(String(64))
    question: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Sealed under the case key; NULL once cleansed
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[dict[str, str] | None] = mapped_column(JSON)  # Sealed under the case key
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
