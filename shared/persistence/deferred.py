"""Inserts held until their transaction commits: one statement per table for a whole batch.

A batch of a party's messages is one transaction (issue 13); each message used to insert its
inbox row, its outbox rows and its partner-message row on its own, a round trip each. Held rows
are written just before the commit, each table's in one executemany (asyncpg sends them in one
go) and in the order they were held, tables in foreign-key order. A rollback drops them with
everything else.

Rules that keep this correct:
- Inside a savepoint nothing is held (`hold` returns False and the caller inserts at once): a
  savepoint rolled back must take its rows with it.
- A reader of a table with held rows must look at them too (`held`): the inbox asks whether a
  message was seen, the partner-message memory what a command id was. A writer that updates or
  deletes rows writes the held ones first (`write_now`).
- A constraint a held row breaks fails the commit instead of the statement: the whole transaction
  fails either way, and its messages are retried or taken one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy import insert as sql_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from shared.persistence.unit_of_work import count_write

_HELD = "zorgtafel.held-inserts"
_INDEX = "zorgtafel.held-index"
_MEMOS = "zorgtafel.transaction-memos"


def hold(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Hold `rows` for `table` until the session's transaction commits; False (nothing held) in a
    savepoint or outside a transaction, where the caller must insert them itself."""
    if not session.in_transaction() or session.in_nested_transaction():
        return False
    held_rows: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_HELD, {})
    new = [dict(row) for row in rows]
    count_write(session)
    held_rows.setdefault(table, []).extend(new)
    for (indexed, column), index in session.info.get(_INDEX, {}).items():
        if indexed is table:
            for row in new:
                index.setdefault(row.get(column), []).append(row)
    return True


async def insert_or_hold(session: AsyncSession, table: Table, row: Mapping[str, Any]) -> None:
    """Insert `row`: held until the commit where it may be, else at once."""
    if not hold(session, table, [row]):
        await session.execute(sql_insert(table).values(**row))


def held(session: AsyncSession, table: Table) -> Iterator[dict[str, Any]]:
    """The rows held for `table` in the session's transaction, oldest first."""
    yield from session.info.get(_HELD, {}).get(table, ())


def held_by(session: AsyncSession, table: Table, column: str, value: Any) -> list[dict[str, Any]]:
    """The rows held for `table` whose `column` is `value`, oldest first: an index kept as rows are
    held, so a batch of n messages asking n times costs n lookups, not n scans."""
    indexes: dict[tuple[Table, str], dict[Any, list[dict[str, Any]]]] = session.info.setdefault(_INDEX, {})
    if (table, column) not in indexes:
        index: dict[Any, list[dict[str, Any]]] = {}
        for row in held(session, table):
            index.setdefault(row.get(column), []).append(row)
        indexes[(table, column)] = index
    return indexes[(table, column)].get(value, [])


async def write_now(session: AsyncSession) -> None:
    """Write every held row at once (before a statement that must find them). What the
    transaction learnt (`transaction_memo`) is forgotten too: it was learnt beside the held rows
    (a prefetched "not taken" is wrong once a held row is written), and is asked again."""
    session.info.pop(_INDEX, None)
    session.info.pop(_MEMOS, None)
    for table, rows in _in_dependency_order(session.info.pop(_HELD, None)):
        for same_columns in _same_columns(rows):
            await session.execute(sql_insert(table), same_columns)


def transaction_memo(session: AsyncSession, name: str) -> dict[Any, Any]:
    """A dict for what the session's transaction learnt (e.g. which of a batch's messages were
    processed before), emptied when the transaction ends."""
    memos: dict[str, dict[Any, Any]] = session.info.setdefault(_MEMOS, {})
    return memos.setdefault(name, {})


@event.listens_for(Session, "before_commit")
def _write_held(session: Session) -> None:
    # Runs inside the commit (for an AsyncSession in its greenlet), so it may execute: the rows
    # reach the database in the transaction they belong to, each table's in holding order.
    session.info.pop(_INDEX, None)
    for table, rows in _in_dependency_order(session.info.pop(_HELD, None)):
        for same_columns in _same_columns(rows):
            session.execute(sql_insert(table), same_columns)


@event.listens_for(Session, "after_transaction_end")
def _drop_held(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself (not a flush's marker, nor a savepoint)
        session.info.pop(_HELD, None)
        session.info.pop(_INDEX, None)
        session.info.pop(_MEMOS, None)


def _in_dependency_order(rows_by_table: dict[Table, list[dict[str, Any]]] | None) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Tables in their metadata's dependency order: a table's rows after those of the tables its
    foreign keys point at (a referral after its case, whichever was held first)."""
    if not rows_by_table:
        return []
    order = {t: i for metadata in {t.metadata for t in rows_by_table} for i, t in enumerate(metadata.sorted_tables)}
    return sorted(rows_by_table.items(), key=lambda item: order.get(item[0], 0))


def _same_columns(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Runs of consecutive rows with the same columns (an executemany needs one shape)."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i].keys() != rows[start].keys():
            yield rows[start:i]
            start = i
