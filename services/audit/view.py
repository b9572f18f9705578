"""The audit store's read side: queries by trace id, processing activity or data subject.

As the LDV read extension ("Extensie lezen", Logius) asks: at least one of those filters is
required (the API answers 400 otherwise; here `NoFilterError`), results can be limited to a period
(`start`/`end`, aware datetimes) and are capped (`AuditSettings.max_results`). Records hold ids and
pseudonyms only; a case's pseudonym is computed here from its id with the hub's pseudonym key, so
only those who hold the key can find a case's records.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.config import SERVICE, AuditSettings
from services.audit.models import AccessRecord, ProcessingRecord
from shared.persistence.database import read_once
from shared.telemetry.processing import Pseudonymizer

T = TypeVar("T")


class NoFilterError(ValueError):
    """A query named none of trace id, processing activity, data subject (LDV read extension)."""


async def _read(settings: AuditSettings, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    return await read_once(settings.database_url_for(SERVICE), read)


def subject_of(case_id: uuid.UUID, settings: AuditSettings) -> str:
    """The case's pseudonymous data-subject id, as in every record about it."""
    return Pseudonymizer(settings.pseudonym_key.get_secret_value().encode()).subject_id(case_id)


def _cap(limit: int | None, settings: AuditSettings) -> int:
    return max(1, min(limit or settings.max_results, settings.max_results))


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _processing_query(trace_id: str | None, activity: str | None, subject: str | None,
                      start: datetime | None, end: datetime | None) -> Select[Any]:
    if not (trace_id or activity or subject):
        raise NoFilterError("name a trace id, a processing activity or a data subject")
    query = select(ProcessingRecord)
    for column, value in ((ProcessingRecord.trace_id, trace_id), (ProcessingRecord.processing_activity_id, activity),
                          (ProcessingRecord.data_subject_id, subject)):
        if value:
            query = query.where(column == value)
    if start:
        query = query.where(ProcessingRecord.start_time_ms >= _ms(start))
    if end:
        query = query.where(ProcessingRecord.start_time_ms < _ms(end))
    return query.order_by(ProcessingRecord.start_time_ms, ProcessingRecord.end_time_ms)


def processing_dict(r: ProcessingRecord) -> dict[str, Any]:
    return {
        "record_id": str(r.record_id), "trace_id": r.trace_id, "span_id": r.span_id, "parent_span_id": r.parent_span_id,
        "name": r.name, "status": r.status, "start_time_ms": r.start_time_ms, "end_time_ms": r.end_time_ms,
        "service": r.service, "processing_activity_id": r.processing_activity_id,
        "data_subject_id": r.data_subject_id, "data_subject_id_type": r.data_subject_id_type,
    }


def access_dict(r: AccessRecord) -> dict[str, Any]:
    return {
        "record_id": str(r.record_id), "occurred_at": r.occurred_at.isoformat(), "data_subject_id": r.data_subject_id,
        "kind": r.kind, "actor": r.actor, "actor_type": r.actor_type, "role": r.role, "on_behalf_of": r.on_behalf_of,
        "view": r.view, "items": list(r.items or []), "purpose": r.purpose, "authorisation": r.authorisation,
        "result": r.result, "source": r.source, "trace_id": r.trace_id, "span_id": r.span_id,
        "actor_check": r.actor_check,
    }


async def processing_records(
    *, trace_id: str | None = None, activity: str | None = None, subject: str | None = None,
    start: datetime | None = None, end: datetime | None = None, limit: int | None = None,
    settings: AuditSettings | None = None,
) -> list[dict[str, Any]]:
    """LDV records in time order, at most `limit` (capped). Raises NoFilterError without a filter."""
    settings = settings or AuditSettings()
    query = _processing_query(trace_id, activity, subject, start, end).limit(_cap(limit, settings))

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return [processing_dict(r) for r in await session.scalars(query)]

    return await _read(settings, read)


def _access_query(subject: str | None, trace_id: str | None, actor: str | None,
                  start: datetime | None, end: datetime | None) -> Select[Any]:
    if not (subject or trace_id or actor):
        raise NoFilterError("name a data subject, a trace id or an actor")
    query = select(AccessRecord)
    for column, value in ((AccessRecord.data_subject_id, subject), (AccessRecord.trace_id, trace_id), (AccessRecord.actor, actor)):
        if value:
            query = query.where(column == value)
    if start:
        query = query.where(AccessRecord.occurred_at >= start)
    if end:
        query = query.where(AccessRecord.occurred_at < end)
    return query.order_by(AccessRecord.occurred_at)


async def access_records(
    *, subject: str | None = None, trace_id: str | None = None, actor: str | None = None,
    start: datetime | None = None, end: datetime | None = None, limit: int | None = None,
    settings: AuditSettings | None = None,
) -> list[dict[str, Any]]:
    """NEN 7513 access records in time order (per dossier, per trace, or per employee: NEN 7513
    ch. 9's overviews), at most `limit` (capped). Raises NoFilterError without a filter."""
    settings = settings or AuditSettings()
    query = _access_query(subject, trace_id, actor, start, end).limit(_cap(limit, settings))

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        return [access_dict(r) for r in await session.scalars(query)]

    return await _read(settings, read)


async def case_audit(case_id: uuid.UUID, settings: AuditSettings | None = None) -> dict[str, Any]:
    """Everything the audit store holds about one case: its processing records and access records,
    each in time order (capped like any query, `truncated` then true), under the case's pseudonym.
    One connection for both."""
    settings = settings or AuditSettings()
    subject = subject_of(case_id, settings)
    cap = _cap(None, settings)

    async def read(session: AsyncSession) -> dict[str, Any]:
        processing = [processing_dict(r) for r in await session.scalars(
            _processing_query(None, None, subject, None, None).limit(cap))]
        access = [access_dict(r) for r in await session.scalars(_access_query(subject, None, None, None, None).limit(cap))]
        return {
            "data_subject_id": subject, "processing": processing, "access": access,
            # A list as long as the cap may have been cut off: say so, never show a trail as whole that is not.
            "truncated": max(len(processing), len(access)) >= cap,
        }

    return await _read(settings, read)
