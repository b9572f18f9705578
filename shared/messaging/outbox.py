"""Transactional outbox: events are written in the handler's transaction and relayed afterwards.

Nothing is published for a change that rolled back, and nothing is lost when the process dies
between commit and publish: the row stays until the relay has Kafka's acknowledgement (acks=all),
and only then is it deleted. A crash after the publish but before the delete publishes the event
again; consumers drop the duplicate by its `event_id` (see `shared.messaging.inbox`).

Deleting relayed rows at once keeps payloads (which may carry encrypted personal data) out of a
second store longer than necessary.

One relay publishes at a time per service (a PostgreSQL advisory lock held for its transaction),
so the rows of one key (a case) reach Kafka in the order they were staged however many processes
run the service (on SQLite, a local run, one process only). A row that fails for a passing reason
holds back the rows of its topic, not of every topic. A row Kafka refuses for good (too large, a non-retriable error) is parked: kept
with its reason, alerted on the dead-letter topic and in the log, and the rows behind it go on. A
broken producer (a FATAL error, see shared.messaging.errors) stops the service for a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import Message, utcnow
from shared.contracts.topics import Topic
from shared.messaging.errors import Kind, kind_of
from shared.messaging.tables import MessagingTables
from shared.persistence.deferred import hold
from shared.persistence.sets import insert_many
from shared.telemetry.kafka import RELAYING

log = structlog.get_logger(__name__)

Publish = Callable[..., Awaitable[Any]]
_TRACE_CONTEXT = TraceContextTextMapPropagator()
# PostgreSQL advisory lock key of the relay ("ZTOUTBOX"); each service has its own database.
RELAY_LOCK = 0x5A544F5554424F58


class Outbox:
    """Stages events in the caller's session; `OutboxRelay` publishes them after commit."""

    def __init__(self, tables: MessagingTables, topic_prefix: str = "") -> None:
        self._table = tables.outbox
        self._prefix = topic_prefix

    async def stage(self, session: AsyncSession, topic: Topic, event: Message) -> None:
        """Stage an event (or a command one service sends another) to publish after commit."""
        await self.stage_many(session, [(topic, event)])

    async def stage_many(self, session: AsyncSession, messages: list[tuple[Topic, Message]]) -> None:
        """Stage several in one statement, in this order (the relay publishes by row id)."""
        if not messages:
            return
        headers: dict[str, str] = {"content-type": "application/json"}
        # Capture the trace now, so the relay continues this trace rather than starting one. Only
        # the traceparent (ids): a partner's tracestate or baggage, which the consume context may
        # hold, never travels on a hub topic.
        _TRACE_CONTEXT.inject(headers)
        headers.pop("tracestate", None)
        rows = [
            {
                "message_id": event.message_id,
                "topic": topic.named(self._prefix),
                "key": event.key,
                "payload": event.model_dump_json().encode(),
            }
            for topic, event in messages
        ]
        now = utcnow()
        # Held until the commit: a batch's rows go in one statement, still in staging order.
        if not hold(session, self._table, [{**row, "headers": headers, "created_at": now} for row in rows]):
            await insert_many(session, self._table, rows, headers=headers, created_at=now)


class OutboxRelay:
    """Publishes staged rows in order, one service's outbox, until stopped."""

    def __init__(
        self,
        tables: MessagingTables,
        sessions: async_sessionmaker[AsyncSession],
        publish: Publish,
        tracer_provider: TracerProvider,
        *,
        poll_interval_s: float = 0.2,
        batch_size: int = 100,
        max_backoff_s: float = 30.0,
        lock_rows: bool = True,
        dead_letter_topic: str | None = None,
        service: str = "",
        on_fatal: Callable[[], None] | None = None,
    ) -> None:
        self._table = tables.outbox
        self._sessions = sessions
        self._publish = publish
        self._tracer = tracer_provider.get_tracer(__name__)
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._max_backoff_s = max_backoff_s
        self._lock_rows = lock_rows
        self._dead_letter_topic = dead_letter_topic
        self._service = service
        self._on_fatal = on_fatal
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Called after a commit that staged events, so they leave without waiting for the poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop after one last pass, so events of just-finished handlers still leave."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        try:
            await self.relay_once()
        except Exception as exc:  # the rows stay; the next start relays them
            log.warning("outbox.final_pass_failed", error_type=type(exc).__name__)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                relayed = await self.relay_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if kind_of(exc) is Kind.FATAL and self._on_fatal is not None:
                    log.critical("outbox.producer_broken", service=self._service, error_type=type(exc).__name__)
                    self._on_fatal()
                failures += 1
                delay = min(self._poll_interval_s * 2**failures, self._max_backoff_s)
                log.warning("outbox.relay_failed", error_type=type(exc).__name__, retry_in_s=delay)
                await asyncio.sleep(delay)
                continue
            if relayed < self._batch_size:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
                except TimeoutError:
                    pass

    async def relay_once(self) -> int:
        """Publish up to one batch in id order; returns how many rows left the outbox (parked
        rows included). Every row is handed to the producer in id order first, then their
        confirmations are awaited together (issue 13: no round trip per row); the producer is
        idempotent, so a partition never takes a record after one it failed to take. A row that
        fails for a transient reason holds back the rows of its own topic after it (Kafka's order
        is per topic and partition; those already sent are sent again, and consumers' inboxes
        turn the copies away) and the other topics go on. Raises the first failure when nothing
        left at all, and a FATAL one at once."""
        failure: Exception | None = None
        held: dict[str, int] = {}  # topic -> id of its first row that failed: it and those after it wait
        parked: list[tuple[Any, Exception]] = []
        done: list[int] = []
        async with self._sessions() as session, session.begin():
            if self._lock_rows and not await session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK))):
                return 0  # another process's relay is active: one at a time keeps each key's order
            query = (
                select(self._table).where(self._table.c.parked_at.is_(None)).order_by(self._table.c.id).limit(self._batch_size)
            )
            sent: list[tuple[Any, Any]] = []
            for row in (await session.execute(query)).mappings().all():
                if row["topic"] in held:
                    continue
                try:
                    sent.append((row, await self._publish_row(row)))
                except Exception as exc:
                    failure = self._failed(row, exc, held, parked) or failure
            confirmations = await asyncio.gather(*(_confirmed(pending) for _, pending in sent), return_exceptions=True)
            for (row, _), outcome in zip(sent, confirmations, strict=True):  # in id order
                if row["id"] > held.get(row["topic"], row["id"]):
                    continue  # after a failed row of its topic: sent again next pass
                if isinstance(outcome, Exception):
                    failure = self._failed(row, outcome, held, parked) or failure
                else:
                    done.append(row["id"])
            if done:
                await session.execute(delete(self._table).where(self._table.c.id.in_(done)))
            for row, exc in parked:
                await self._park(session, row, exc)
        if failure is not None:
            if not done and not parked:
                raise failure
            log.warning("outbox.topics_waiting", service=self._service, topics=len(held), error_type=type(failure).__name__)
        return len(done) + len(parked)

    @staticmethod
    def _failed(row: Any, exc: Exception, held: dict[str, int], parked: list[tuple[Any, Exception]]) -> Exception | None:
        """Sort a row's failure: FATAL raises; PERMANENT parks the row (out of the way of the rows
        behind it); anything else holds back its topic and is returned."""
        kind = kind_of(exc)
        if kind is Kind.FATAL:
            raise exc
        if kind is Kind.PERMANENT:
            parked.append((row, exc))
            return None
        held[row["topic"]] = min(held.get(row["topic"], row["id"]), row["id"])
        return exc

    async def _park(self, session: AsyncSession, row: Any, exc: Exception) -> None:
        """Flag the row, and alert: a log line and a stub on the dead-letter topic (ids, size and
        digest; never the payload). A failed alert raises, and the row is tried again next pass."""
        reason = type(exc).__name__
        await session.execute(
            update(self._table).where(self._table.c.id == row["id"]).values(parked_at=utcnow(), park_reason=reason[:64])
        )
        log.error("outbox.row_parked", service=self._service, topic=row["topic"], message_id=str(row["message_id"]),
                  size=len(row["payload"]), error_type=reason)
        if self._dead_letter_topic is None:
            return
        alert = {"message_id": str(row["message_id"]), "topic": row["topic"], "size": len(row["payload"]),
                 "sha256": hashlib.sha256(row["payload"]).hexdigest()}
        await _confirmed(await self._publish(json.dumps(alert).encode(), topic=self._dead_letter_topic, key=None, headers={
            "content-type": "application/json", "zt-dlq-reason": "outbox-unpublishable", "zt-dlq-detail": reason,
            "zt-dlq-topic": row["topic"], "zt-dlq-consumer": self._service, "zt-dlq-failed-at": utcnow().isoformat(),
        }))

    async def _publish_row(self, row: Any) -> Any:
        """Hand the row to the producer; returns its pending confirmation (or None when the
        publisher waited for it itself)."""
        headers = dict(row["headers"])
        parent = propagate.extract(headers)
        with self._tracer.start_as_current_span("outbox relay", context=parent, kind=SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.destination.name", row["topic"])
            span.set_attribute("messaging.message.id", str(row["message_id"]))
            # This span is the publish: consumers continue the trace from it (ids only).
            _TRACE_CONTEXT.inject(headers)
            relaying = RELAYING.set(True)
            try:
                return await self._publish(
                    row["payload"], topic=row["topic"], key=row["key"].encode() if row["key"] else None, headers=headers
                )
            finally:
                RELAYING.reset(relaying)


async def _confirmed(sent: Any) -> None:
    """Wait for the broker's confirmation when publishing returned a pending send (a publisher
    that does not wait for it itself, as the relay's does: FastStream's `no_confirm`)."""
    if inspect.isawaitable(sent):
        await sent
