"""Triage's own tables: no personal data, only what triage needs about a case (minimal data)."""

from __future__ import annotations

import uuid
from datetime import datetime

from typing import Any

from sqlalchemy import JSON, DateTime, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.database import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class TriageCase(Base):
    __tablename__ = "triage_case"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    referrer_party: Mapped[str] = mapped_column(String(100))
    municipality: Mapped[str] = mapped_column(String(100))
    age_group: Mapped[str] = mapped_column(String(3))
    urgency: Mapped[str] = mapped_column(String(16))
    # The referrer's view of the Bijlage 2 criteria, as intake accepted them.
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
