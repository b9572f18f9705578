"""retention's own tables. So far only the outbox and inbox every service has."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.persistence.database import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
