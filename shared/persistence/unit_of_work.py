"""The unit of work owns the transaction: state change, inbox record and outbox rows commit together.

A batch consumer (shared/messaging/batched.py) runs many messages' units of work in one
transaction (`one_transaction`, issue 13): each use case still opens and commits its own unit of
work, which then joins the batch's transaction, and its commit becomes the batch's. A joined unit
of work that is left without a commit after it wrote something cannot be undone alone (that would
need a savepoint per message, and savepoints write every held row at once): it fails the batch
(`UncommittedInBatch`), and the batch is taken apart into messages that each get a transaction of
their own, where leaving without a commit rolls back as it always did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self

from sqlalchemy import TextClause, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

# The batch transaction of the running task, and the sessions factory it belongs to.
_BATCH: ContextVar[tuple[async_sessionmaker[AsyncSession], AsyncSession] | None] = ContextVar("batch", default=None)
_WRITES = "zorgtafel.writes"


class UncommittedInBatch(Exception):
    """A use case left its unit of work without a commit after writing, inside a batch."""


class UnitOfWork:
    """`async with uow:` opens a session; leaving without `commit()` rolls everything back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._joined_at: int | None = None  # the batch session's write count when joined, or last committed

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work is not open")
        return self._session

    async def __aenter__(self) -> Self:
        batch = _BATCH.get()
        if batch is not None and batch[0] is self._sessions:
            self._session = batch[1]
            self._joined_at = writes(batch[1])
            return self
        self._session = self._sessions()
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        if self._joined_at is not None:
            joined_at, self._joined_at = self._joined_at, None
            if exc is None and (writes(session) != joined_at or _pending(session)):
                raise UncommittedInBatch("a unit of work wrote and was left without a commit")
            return  # the batch's transaction ends with the batch (or with its failure)
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()

    def one_transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """`one_transaction` of this unit of work's database: what a caller holding only the
        factory of units of work (the staff gate) wraps several of them in."""
        return one_transaction(self._sessions)

    async def commit(self) -> None:
        """Commit; in a batch, hand what was written to the batch's commit (flushing the ORM's
        changes now, so that what follows in this unit of work is told apart from them)."""
        if self._joined_at is None:
            await self.session.commit()
            return
        if _pending(self.session):  # flushing a clean session still costs a trip into the greenlet
            await self.session.flush()
        self._joined_at = writes(self.session)


@asynccontextmanager
async def one_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction for every unit of work of `sessions` opened inside the block (in this
    task): committed when the block ends, rolled back with everything when it raises."""
    session = sessions()
    token = _BATCH.set((sessions, session))
    try:
        await session.begin()
        yield session
        _BATCH.reset(token)
        token = None
        await session.commit()
    finally:
        if token is not None:
            _BATCH.reset(token)
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()


def writes(session: AsyncSession) -> int:
    """How many statements that write (and flushes) the session has run: a joined unit of work
    compares it to tell "read and left" from "wrote and left"."""
    return session.info.get(_WRITES, 0)  # type: ignore[no-any-return]


def count_write(session: AsyncSession | Session) -> None:
    """Count a write that does not reach the database at once (a held insert)."""
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


def _pending(session: AsyncSession) -> bool:
    return bool(session.new or session.dirty or session.deleted)


@event.listens_for(Session, "do_orm_execute")
def _count_statement(state: ORMExecuteState) -> None:
    statement = state.statement
    # A textual statement is not known to be a SELECT: one that plainly is reads only.
    reads = isinstance(statement, TextClause) and statement.text.lstrip().upper().startswith(("SELECT ", "SHOW "))
    if not (state.is_select or reads):
        count_write(state.session)


@event.listens_for(Session, "before_flush")
def _count_flush(session: Session, context: Any, instances: Any) -> None:
    count_write(session)
