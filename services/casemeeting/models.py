"""Casemeeting's own tables: the case as the Casusoverleg knows it, meetings, invitations,
information items with their terms of use, consents, and the versions of the plan van aanpak.
Every text is sealed under the case's own data key."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint, Uuid
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

PREPARING, AFGESCHAALD = "preparing", "afgeschaald"
INVITED, ATTENDING, DECLINED = "invited", "attending", "declined"
OPEN, IN_PROGRESS, DONE = "open", "in_progress", "done"


class MeetingCase(Base):
    __tablename__ = "meeting_case"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    correlation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    designated: Mapped[list[str]] = mapped_column(JSON)  # parties triage designated (art. 12.2e)
    themes: Mapped[list[str]] = mapped_column(JSON)
    decision_types: Mapped[list[str]] = mapped_column(JSON)
    goal: Mapped[dict[str, str] | None] = mapped_column(JSON)  # sealed; NULL once cleansed
    casusregisseur: Mapped[str | None] = mapped_column(String(100))
    afschaling_criteria: Mapped[dict[str, str] | None] = mapped_column(JSON)  # sealed
    afgeschaald_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Meeting(Base):
    __tablename__ = "meeting"

    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_case.case_id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    present: Mapped[list[str] | None] = mapped_column(JSON)
    apologies: Mapped[list[str] | None] = mapped_column(JSON)
    information_supplied: Mapped[list[str] | None] = mapped_column(JSON)


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "party"),)

    invitation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.meeting_id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    party: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))


class InformationItem(Base):
    """An item of case information, with who supplied it and its terms of use (art. 16.2)."""

    __tablename__ = "information_item"

    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_case.case_id"), index=True)
    supplier: Mapped[str] = mapped_column(String(100))
    terms: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, str] | None] = mapped_column(JSON)  # sealed; NULL once cleansed
    supplied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consent(Base):
    """The supplier's consent to share one item with one party for one meeting (12.2f, 9.2)."""

    __tablename__ = "pre_read_consent"
    __table_args__ = (UniqueConstraint("item_id", "meeting_id", "recipient"),)

    consent_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("information_item.item_id"))
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.meeting_id"))
    recipient: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # requested | granted | refused
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Action(Base):
    """One action of one version of the plan van aanpak; older versions stay as they were."""

    __tablename__ = "plan_action"
    __table_args__ = (UniqueConstraint("case_id", "version", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_case.case_id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    responsible_party: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[date] = mapped_column(Date)
    description: Mapped[dict[str, str] | None] = mapped_column(JSON)  # sealed; NULL once cleansed
    information_need: Mapped[dict[str, str] | None] = mapped_column(JSON)  # sealed; NULL once cleansed
    status: Mapped[str] = mapped_column(String(16))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carried_over: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
