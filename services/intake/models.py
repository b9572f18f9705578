"""Intake's own tables. The person's data lives only here, never in an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.database import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (UniqueConstraint("referrer_party", "referrer_reference"),)

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    referrer_party: Mapped[str] = mapped_column(String(100))
    referrer_reference: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(16))
    # Stored as received for now; issue #3 replaces these with field-level encryption under a
    # per-case data key (crypto-shredding), see docs/decisions/0004-personal-data-at-rest.md.
    person: Mapped[dict[str, str]] = mapped_column(JSON)
    situation: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
