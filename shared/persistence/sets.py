"""Statements about many rows, written so a batch of 500 costs a few parameters, not 500 sets."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession


def one_of(session: AsyncSession, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL `column = ANY(:array)`: one array parameter, so the
    statement is compiled and planned once for every batch size (an IN list of n renders n
    parameters per execution, which costs a batch purge more client time than the DELETE's own
    planning). SQLite has no arrays and gets the IN list."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


async def insert_many(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], **same: Any) -> None:
    """Insert `rows` (mappings with the same keys), each also taking the `same` column values.

    On PostgreSQL one statement with one array parameter per varying column, joined by `unnest`
    (`INSERT … SELECT … FROM unnest($1, $2, …)`): the client binds a handful of parameters instead
    of preparing every row's (executemany costs a batch of 500 rows more client time than the
    insert's own execution). Elsewhere an executemany. Raises what the database raises.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), [{**row, **same} for row in rows])
        return
    names = list(rows[0])
    arrays = [bindparam(None, [row[name] for row in rows], type_=ARRAY(table.c[name].type)) for name in names]
    varying = func.unnest(*arrays).table_valued(*names, with_ordinality="ordinal").render_derived()
    constants = [bindparam(None, value, type_=table.c[name].type).label(name) for name, value in same.items()]
    # In the given order: generated keys (an outbox's row id, which the relay publishes by) follow it.
    rows_in_order = select(*(varying.c[name] for name in names), *constants).order_by(varying.c.ordinal)
    await session.execute(insert(table).from_select([*names, *same], rows_in_order))
