"""Per-case data keys in the service's own database, destroyable for crypto-shredding.

Crypto-shredding: every personal field of a case is sealed with that case's data key. Destroying
the key makes every stored and published copy sealed with it unreadable at once, including
copies on Kafka topics, in replicas and in backups, which cannot be edited or deleted one by one.

Only wrapped keys are stored (sealed under the master key); the row stays after destruction as a
tombstone, so a destroyed case cannot silently get a fresh key under the same id. PostgreSQL
keeps the old row version until VACUUM and in WAL or backups within their retention; those hold
the key only wrapped, so the master key's protection is what guards that window.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Column, LargeBinary, MetaData, String, Table, Uuid, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto.keys import MasterKey, new_data_key, unwrap_data_key, wrap_data_key
from shared.crypto.sealing import CryptoError
from shared.persistence.deferred import held_by, insert_or_hold, write_now
from shared.persistence.sets import one_of
from shared.persistence.types import UTCDateTime


class KeyDestroyedError(CryptoError):
    """The case was shredded: its data key no longer exists."""


class UnknownCaseKeyError(CryptoError):
    """No data key was ever created for the case (or its creation was rolled back)."""


def case_keys_table(metadata: MetaData) -> Table:
    """The `case_key` table; defined once per MetaData, however often a runtime is built."""
    if "case_key" in metadata.tables:
        return metadata.tables["case_key"]
    return Table(
        "case_key",
        metadata,
        Column("case_id", Uuid, primary_key=True),
        Column("master_key_id", String(64), nullable=False),
        # NULL once destroyed: no key bytes remain in the live row.
        Column("wrapped_key", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("destroyed_at", UTCDateTime, nullable=True),
    )


class CaseKeyStore:
    """Creates, reads and destroys case data keys inside the caller's transaction (never commits)."""

    def __init__(self, table: Table, master: MasterKey) -> None:
        self._table = table
        self._master = master

    async def create(self, session: AsyncSession, case_id: UUID) -> bytes:
        """A new data key for the case; returned in the clear for immediate use, stored wrapped."""
        data_key = new_data_key()
        row = {
            "case_id": case_id,
            "master_key_id": self._master.key_id,
            "wrapped_key": wrap_data_key(self._master, data_key, case_id=case_id),
            "created_at": datetime.now(UTC),
            "destroyed_at": None,
        }
        await insert_or_hold(session, self._table, row)  # a batch's new keys are written together at commit
        return data_key

    async def get(self, session: AsyncSession, case_id: UUID) -> bytes:
        t = self._table
        row: Any = next((SimpleNamespace(**r) for r in held_by(session, t, "case_id", case_id)), None) or (
            await session.execute(select(t.c.master_key_id, t.c.wrapped_key).where(t.c.case_id == case_id))
        ).one_or_none()
        if row is None:
            raise UnknownCaseKeyError(f"no data key for case {case_id}")
        if row.wrapped_key is None:
            raise KeyDestroyedError(f"data key of case {case_id} was destroyed")
        if row.master_key_id != self._master.key_id:
            # Rotation is possible because the id is stored; unwrapping needs the matching master key.
            raise CryptoError(f"data key of case {case_id} is wrapped under another master key")
        return unwrap_data_key(self._master, row.wrapped_key, case_id=case_id)

    async def destroy_many(self, session: AsyncSession, case_ids: list[UUID]) -> set[UUID]:
        """Shreds several cases in one statement; returns those whose live key was destroyed."""
        if not case_ids:
            return set()
        await write_now(session)  # a key created in this transaction is destroyed too
        t = self._table
        result = await session.execute(
            update(t)
            .where(one_of(session, t.c.case_id, case_ids), t.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, destroyed_at=datetime.now(UTC))
            .returning(t.c.case_id)
        )
        return set(result.scalars())

    async def destroy(self, session: AsyncSession, case_id: UUID) -> bool:
        """Shreds the case; True if a live key was destroyed, False if none was left (idempotent)."""
        await write_now(session)  # a key created in this transaction is destroyed too
        t = self._table
        result = await session.execute(
            update(t)
            .where(t.c.case_id == case_id, t.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, destroyed_at=datetime.now(UTC))
        )
        return bool(result.rowcount)
