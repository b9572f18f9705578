"""Wiring shared by the four service factories: logging, tracing, broker, database, outbox.

A service's `create_app(settings)` builds a `Runtime`, registers its routers on the broker and
returns `runtime.app(...)`. Nothing connects before the app starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import structlog
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, KafkaRouter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from sqlalchemy import MetaData

from shared.audit.logboek import Logboek
from shared.contracts.envelope import utcnow
from shared.messaging.admin import TopicsMissingError, missing_topics
from shared.messaging.batch import BATCH_FETCH_BYTES
from shared.messaging.broker import group_id
from shared.messaging.errors import sqlstate
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox, OutboxRelay
from shared.messaging.reliability import ReliableConsumption
from shared.messaging.routing import strict_decoder
from shared.messaging.tables import MessagingTables
from shared.operations.http import OperationsServer, operations_app
from shared.operations.probes import ServiceProbes
from shared.persistence.database import Database, SchemaOutdatedError
from shared.persistence.migrate import upgrade
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.operational import prune_operational
from shared.retention.policy import RetentionPolicy
from shared.security.endpoints import endpoints_of
from shared.security.staff_gate import StaffGate
from shared.security.staff_register import RegisterFile
from shared.settings import ServiceSettings
from shared.telemetry.processing import (
    Pseudonymizer,
)

log = structlog.get_logger(__name__)
# Where a runtime's schema comes from: its service's migrations, or (a test's probe) its models.
SchemaSource = Literal["migrated", "from-models"]


@dataclass
class Runtime:
    service: str
    settings: ServiceSettings
    metadata: MetaData
    tables: MessagingTables
    tracer_provider: TracerProvider
    broker: KafkaBroker
    database: Database
    outbox: Outbox
    relay: OutboxRelay
    pseudonymizer: Pseudonymizer
    # The retention policy in force, read and checked when the runtime is built: an invalid
    # policy stops every service before it connects to anything (PolicyError).
    policy: RetentionPolicy
    # Delivery semantics of every subscriber; batch handlers use it to dead-letter one record.
    reliability: ReliableConsumption
    # Stages each processing's LDV record in the transaction that records its message processed.
    logboek: Logboek
    # Readiness and metrics, served over HTTP from the start of `_on_startup` (shared/operations).
    probes: ServiceProbes
    # "migrated": the schema is the service's Alembic migrations' (shared/persistence/migrate.py);
    # "from-models": created from the models, for a test's probe service that has no migrations.
    schema: SchemaSource = "migrated"
    # Run after the schema exists and before consuming starts (e.g. seeding reference data).
    startup_hooks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    periodic: list[tuple[float, str, Callable[[], Awaitable[None]]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    operations: OperationsServer = field(init=False)
    # Every staff command passes it before its handler runs (shared/security/staff_gate.py).
    staff_gate: StaffGate = field(init=False)

    def __post_init__(self) -> None:
        self.staff_gate = StaffGate(
            RegisterFile(self.settings.staff_register_file()),
            service=self.service,
            topic_prefix=self.settings.topic_prefix,
            max_age=timedelta(seconds=self.settings.staff_command_max_age_s),
            unit_of_work=self.unit_of_work,
            outbox=self.outbox,
            inbox=self.inbox("commands"),
        )
        self.operations = OperationsServer(
            operations_app(self.probes.readiness, self.probes.scrape),
            self.settings.http_host,
            self.settings.http_port_for(self.service),
        )

    @property
    def tracer(self) -> Tracer:
        return self.tracer_provider.get_tracer(f"zorgtafel.{self.service}")

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.database.sessions)

    def inbox(self, handler: str) -> Inbox:
        """The handler's inbox; recording a message as processed also records the processing."""
        return Inbox(self.tables, f"{self.service}.{handler}", on_processed=self.logboek.record)

    def subscriber(self, router: KafkaRouter, handler: str, *topics: str, **options: Any) -> Any:
        """A hub subscriber: its own consumer group, manual acks (at-least-once), from the start.

        `earliest` matters for a new consumer group: a service deployed after events were
        published must still see them.
        """
        options.setdefault("decoder", strict_decoder)  # parser refusals are PERMANENT, not retried
        # Fairness: aiokafka hands out one partition's fetched records before the next's, so the
        # size of a partition's fetch is the turn each party's backlog gets (issue 10, case 8).
        # A batch subscriber wants whole batches instead.
        fetch = BATCH_FETCH_BYTES if options.get("batch") else self.settings.fetch_bytes_per_partition
        options.setdefault("max_partition_fetch_bytes", fetch)
        group = group_id(self.settings, self.service, handler)
        options.setdefault("listener", self.probes.assignments.listener(group))  # readiness
        return router.subscriber(
            *topics,
            group_id=group,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            **options,
        )

    def every(self, interval_s: float, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` every `interval_s` while the service runs (deadlines, purges)."""
        self.periodic.append((interval_s, name, job))

    async def _repeat(self, interval_s: float, name: str, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                # Each run is a trace of its own: what it records and discloses carries its ids.
                with self.tracer.start_as_current_span(f"job {name}"):
                    await job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the job runs again next time; its exception may quote data
                log.warning("periodic.failed", job=name, error_type=type(exc).__name__)
            await asyncio.sleep(interval_s)

    def include(self, router: KafkaRouter) -> None:
        """Routers declare topics by registry name; the environment's prefix is added here."""
        self.broker.include_router(router, prefix=self.settings.topic_prefix)

    def app(self) -> FastStream:
        return FastStream(
            self.broker,
            logger=None,
            on_startup=[self._on_startup],
            after_startup=[self._after_startup],
            on_shutdown=[self._on_shutdown],
            after_shutdown=[self._after_shutdown],
        )

    async def _on_startup(self) -> None:
        # Probes get an answer (live, not ready) while the service waits for its parts below.
        await self.operations.start()
        try:
            await self._start()
        except BaseException:
            await self.operations.stop()
            raise

    async def _start(self) -> None:
        # A staff register others may write would let anyone make themselves staff: refuse to start.
        self.staff_gate.register.current()
        # Started before its database or broker (a reboot, a rollout): wait for them, saying so in
        # one structured line per try (the error's type and SQLSTATE, never its message or SQL).
        await self._until_ready("database", self.migrate)
        for hook in self.startup_hooks:
            await self._until_ready("database", hook)
        # Topics are the administrator's: `zorgtafel security apply` creates them with the policy's
        # retention. This service's principal may only use its own; it starts once they exist.
        await self._until_ready("broker", self._own_topics_exist)

    async def migrate(self) -> None:
        """Bring the database to this version's schema. Raises SchemaOutdatedError."""
        if self.schema == "from-models":
            await self.database.create_schema(self.metadata)
        else:
            before, after = await upgrade(self.database, self.metadata, self.service)
            if before != after:
                log.info("database.migrated", service_name=self.service, from_revision=before, to_revision=after)

    async def _own_topics_exist(self) -> None:
        endpoints = endpoints_of(self.service, self.broker, self.settings.topic_prefix)
        missing = await missing_topics(self.settings.kafka_access(), endpoints.reads | endpoints.writes)
        if missing:
            raise TopicsMissingError(f"{len(missing)} topics missing (zorgtafel security apply creates them)")

    async def _until_ready(self, what: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """Run `step` until it succeeds, with capped backoff. Errors that no wait will mend (a
        schema older than the code) stop the start at once."""
        delay = self.settings.retry_base_delay_s
        while True:
            try:
                return await step()
            except SchemaOutdatedError:
                raise
            except Exception as exc:
                log.warning("startup.waiting", service_name=self.service, waiting_for=what,
                            error_type=type(exc).__name__, sqlstate=sqlstate(exc), retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.retry_max_delay_s)

    async def _prune_operational(self) -> None:
        await prune_operational(self.unit_of_work, self.metadata, self.policy, utcnow())

    async def _after_startup(self) -> None:
        if self.settings.outbox_relay_enabled:
            self.relay.start()

        self._tasks = [asyncio.create_task(self._repeat(*p), name=p[1]) for p in self.periodic]
        self.probes.started = True
        log.info("service.started", service_name=self.service, http_port=self.operations.port)

    async def _on_shutdown(self) -> None:
        # Graceful order: stop consuming (in-flight handlers finish and commit their offsets),
        # relay what they staged, and only then let FastStream close the producer. Unready first:
        # a load balancer or an operator stops counting on a service that is going.
        self.probes.started = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for subscriber in self.broker.subscribers:
            await subscriber.stop()
        await self.relay.stop()

    async def _after_shutdown(self) -> None:
        await self.operations.stop()
        await self.database.dispose()
        self.tracer_provider.force_flush()
        log.info("service.stopped", service_name=self.service)
