"""Helpers for the integration and end-to-end tiers: settings, a partner system, topic reads."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from sqlalchemy.engine import make_url

from services.intake.app import create_runtime as create_intake
from services.intake.config import IntakeSettings
from services.intake.models import Referral
from services.triage.app import create_runtime as create_triage
from services.triage.config import TriageSettings
from services.triage.models import TriageCase

from shared.contracts.aanmelding import PersonDetails, SubmitReferral
from shared.contracts.topics import Topic, partner_inbound
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from shared.telemetry.processing import InMemoryProcessingLog
from tests.infra import Infra

S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")

# Seeded personal data of the test referrals. Scans for leaks look for exactly these strings.
SEEDED_GIVEN_NAME = "Marijke"
SEEDED_FAMILY_NAME = "Oosterhout-Testpersoon"
SEEDED_BIRTH_DATE = date(1998, 3, 14)
SEEDED_SITUATION = "Slachtoffer vertelde over uitbuiting in een nagelstudio aan de Markt"
SEEDED_VALUES = (SEEDED_GIVEN_NAME, SEEDED_FAMILY_NAME, SEEDED_BIRTH_DATE.isoformat(), SEEDED_SITUATION)

PARTY = "politie-oost-brabant"


def settings_for(cls: type[S], infra: Infra, namespace: str, **overrides: Any) -> S:
    database = make_url(infra.database_url).set(database=namespace).render_as_string(hide_password=False)
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "database_url": database,
        "topic_prefix": f"{namespace}.",
        "consumer_group_prefix": namespace,
        "retry_base_delay_s": 0.05,
        "retry_max_delay_s": 0.5,
        "outbox_poll_interval_s": 0.1,
        "graceful_timeout_s": 10.0,
    }
    values.update(overrides)
    return cls(**values)


def a_referral(reference: str | None = None, **changes: Any) -> SubmitReferral:
    values: dict[str, Any] = {
        "command_id": uuid.uuid4(),
        "issued_at": datetime.now(UTC),
        "referrer_reference": reference or f"POL-{uuid.uuid4().hex[:8]}",
        "person": PersonDetails(
            given_name=SEEDED_GIVEN_NAME, family_name=SEEDED_FAMILY_NAME, date_of_birth=SEEDED_BIRTH_DATE
        ),
        "situation": SEEDED_SITUATION,
        "urgency": "regular",
    }
    values.update(changes)
    return SubmitReferral(**values)


class Partner:
    """A partner system: writes to its own inbound topic with a plain Kafka producer."""

    def __init__(self, infra: Infra, namespace: str, party: str = PARTY) -> None:
        self._bootstrap = infra.kafka_bootstrap_servers
        self.topic = partner_inbound(party).named(f"{namespace}.")
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Partner:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._producer is not None
        await self._producer.stop()

    async def send_raw(self, value: bytes, headers: dict[str, str] | None = None) -> None:
        assert self._producer is not None
        hdrs = {"content-type": "application/json", **(headers or {})}
        await self._producer.send_and_wait(self.topic, value, headers=[(k, v.encode()) for k, v in hdrs.items()])

    async def submit(self, referral: SubmitReferral, headers: dict[str, str] | None = None) -> None:
        await self.send_raw(referral.model_dump_json().encode(), headers)


async def read_topic(
    infra: Infra, registered: Topic, namespace: str, *, idle_s: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on a registry topic now, read without a consumer group (commits nothing)."""
    name = registered.named(f"{namespace}.")
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(name, p) for p in range(registered.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while any([await consumer.position(tp) < end[tp] for tp in partitions]):
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batch:
                break
            for items in batch.values():
                records.extend(items)
        return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))
    finally:
        await consumer.stop()


def bodies(records: list[ConsumerRecord[bytes, bytes]]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


async def at_least(probe: Callable[[], Awaitable[list[T]]], n: int) -> list[T] | None:
    """For `eventually`: the probe's items once there are at least `n` of them."""
    items = await probe()
    return items if len(items) >= n else None


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 30.0) -> T:
    """Poll until `probe` returns something truthy; the value is returned. Fails after timeout."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.1)


@dataclass
class Hub:
    """Intake and triage running against the real broker and database, as in production."""

    intake: Runtime
    triage: Runtime
    spans: InMemorySpanExporter
    records: InMemoryProcessingLog

    async def referrals(self) -> list[Referral]:
        async with self.intake.database.sessions() as s:
            return list((await s.scalars(select(Referral))).all())

    async def triage_cases(self) -> list[TriageCase]:
        async with self.triage.database.sessions() as s:
            return list((await s.scalars(select(TriageCase))).all())


@asynccontextmanager
async def running_hub(infra: Infra, namespace: str, **overrides: Any) -> AsyncIterator[Hub]:
    spans, records = InMemorySpanExporter(), InMemoryProcessingLog()
    intake = create_intake(settings_for(IntakeSettings, infra, namespace, **overrides), span_exporter=spans, processing_log=records)
    triage = create_triage(settings_for(TriageSettings, infra, namespace, **overrides), span_exporter=spans, processing_log=records)
    async with intake.app(), triage.app():
        yield Hub(intake, triage, spans, records)
