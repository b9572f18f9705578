"""Helpers for the integration and end-to-end tiers: settings, a partner system, topic reads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from sqlalchemy.engine import make_url

from services.audit.app import create_runtime as create_audit
from services.audit.config import AuditSettings
from services.casemeeting.app import create_runtime as create_casemeeting
from services.casemeeting.config import CasemeetingSettings
from services.intake.app import create_runtime as create_intake
from services.intake.config import IntakeSettings
from services.intake.models import Case, Referral
from services.partner import PartnerSystem
from services.partner_keys import PartnerKeys
from services.procesregisseur import Procesregisseur
from services.retention.app import create_runtime as create_retention
from services.retention.config import RetentionSettings
from services.triage.app import create_runtime as create_triage
from services.triage.config import TriageSettings
from services.triage.models import TriageCase
from shared.contracts.aanmelding import (
    ConsentGiven,
    Indicators,
    LifeDomain,
    Person,
    Professional,
    ReferralPersonalData,
    SubmitReferral,
    personal_aad,
)
from shared.contracts.topics import DEAD_LETTER, Topic
from shared.crypto import MasterKey, party_key, party_kid, seal
from shared.messaging.security import KafkaAccess
from shared.runtime import Runtime
from shared.security.acls import party_principal
from shared.settings import ServiceSettings
from shared.telemetry.processing import InMemoryProcessingLog
from tests.infra import ROOT, Infra

S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")

# Seeded personal data of the test referrals. Scans for leaks look for exactly these strings.
SEEDED_GIVEN_NAME = "Marijke"
SEEDED_FAMILY_NAME = "Oosterhout-Testpersoon"
SEEDED_BIRTH_DATE = date(1998, 3, 14)
SEEDED_SITUATION = "Slachtoffer vertelde over uitbuiting in een nagelstudio aan de Markt"
SEEDED_PROFESSIONAL = "Wijkagent Drieskens-Testcontact"
SEEDED_BSN = "111222333"
SEEDED_VALUES = (
    SEEDED_GIVEN_NAME,
    SEEDED_FAMILY_NAME,
    SEEDED_BIRTH_DATE.isoformat(),
    SEEDED_SITUATION,
    SEEDED_PROFESSIONAL,
    SEEDED_BSN,
)

PARTY = "politie-oost-brabant"
OTHER_PARTY = "veilig-thuis-zuidoost-brabant"


def settings_for(cls: type[S], infra: Infra, namespace: str, **overrides: Any) -> S:
    database = make_url(infra.database_url).set(database=namespace).render_as_string(hide_password=False)
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "kafka_security_protocol": infra.kafka_security_protocol,
        "database_url": database,
        "topic_prefix": f"{namespace}.",
        "consumer_group_prefix": namespace,
        "retry_base_delay_s": 0.05,
        "retry_max_delay_s": 0.5,
        "outbox_poll_interval_s": 0.1,
        "graceful_timeout_s": 10.0,
        "metadata_max_age_ms": 3000,
        "http_port": 0,  # any free port: tests run side by side on one machine
    }
    values.update(overrides)
    return cls(**values)


MASTER = MasterKey.from_base64(ServiceSettings().master_key_id, ServiceSettings().master_key.get_secret_value())
MUNICIPALITY = "gemeente-helmond"


def personal_data(**changes: Any) -> ReferralPersonalData:
    """An adult who consented; seeded values only."""
    person = {"given_name": SEEDED_GIVEN_NAME, "family_name": SEEDED_FAMILY_NAME, "date_of_birth": SEEDED_BIRTH_DATE}
    person.update(changes.pop("person", {}))
    values: dict[str, Any] = {
        "person": Person(**person),
        "situation": SEEDED_SITUATION,
        "consent": ConsentGiven(by_person=True, by_guardian=False, recorded_on=date.today()),
        "professional": Professional(name=SEEDED_PROFESSIONAL, email="zorg@example.invalid"),
    }
    values.update(changes)
    return ReferralPersonalData(**values)


def someone_else() -> ReferralPersonalData:
    """Another person (a referral about them opens its own case)."""
    return personal_data(person={"family_name": f"Verbeek-{uuid.uuid4().hex[:6]}"})


def a_referral(
    reference: str | None = None,
    *,
    party: str = PARTY,
    personal: ReferralPersonalData | dict[str, Any] | None = None,
    key: tuple[str, bytes] | None = None,
    **changes: Any,
) -> SubmitReferral:
    """A referral sealed as `party`'s system seals it: with its transport key (the one a local run
    derives, unless `key` gives a kid and key), bound to the command.

    `personal` may be a plain dict, to seal content the contract would refuse to build.
    """
    command_id = changes.pop("command_id", uuid.uuid4())
    content = personal or personal_data()
    raw = json.dumps(content, default=str) if isinstance(content, dict) else content.model_dump_json()
    kid, secret = key or (party_kid(party), party_key(MASTER, party))
    sealed = seal(raw.encode(), secret, kid=kid, aad=personal_aad(command_id))
    values: dict[str, Any] = {
        "command_id": command_id,
        "issued_at": datetime.now(UTC),
        "referrer_reference": reference or f"POL-{uuid.uuid4().hex[:8]}",
        "municipality": MUNICIPALITY,
        "indicators": Indicators(
            serious_local_safety_problem=True,
            several_chains_needed=True,
            life_domains=(LifeDomain.SAFETY, LifeDomain.HOUSING),
        ),
        "urgency": "regular",
        "personal": sealed,
    }
    values.update(changes)
    return SubmitReferral(**values)


class Partner(PartnerSystem):
    """A partner system of `party` in this test's namespace."""

    def __init__(
        self, infra: Infra, namespace: str, party: str = PARTY, access: KafkaAccess | None = None,
        keys: PartnerKeys | None = None,
    ) -> None:
        """As the party's own principal with the key a local run derives for it, unless `access`
        or `keys` say otherwise (an impostor, a system with the wrong key)."""
        access = access or infra.access(party_principal(party))
        super().__init__(party, access, keys or PartnerKeys.local(party, MASTER), f"{namespace}.")

    @property
    def topic(self) -> str:
        return self.inbound

    async def submit(self, referral: SubmitReferral, headers: dict[str, str] | None = None) -> None:
        await self.send(referral, headers)


async def read_topic(
    infra: Infra, registered: Topic, namespace: str, *, idle_s: float = 1.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on a registry topic now, read without a consumer group (commits nothing)."""
    name = registered.named(f"{namespace}.")
    consumer = AIOKafkaConsumer(**infra.admin().aiokafka(), enable_auto_commit=False)
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
    """Intake and triage (and, when asked, casemeeting) on the real broker and database."""

    intake: Runtime
    triage: Runtime
    spans: InMemorySpanExporter
    records: InMemoryProcessingLog
    casemeeting: Runtime | None = None
    retention: Runtime | None = None
    audit: Runtime | None = None

    async def referrals(self) -> list[Referral]:
        async with self.intake.database.sessions() as s:
            return list((await s.scalars(select(Referral))).all())

    async def cases(self) -> list[Case]:
        async with self.intake.database.sessions() as s:
            return list((await s.scalars(select(Case).order_by(Case.opened_at))).all())

    async def triage_case(self, case_id: uuid.UUID) -> TriageCase | None:
        async with self.triage.database.sessions() as s:
            return await s.get(TriageCase, case_id)

    async def triage_cases(self) -> list[TriageCase]:
        async with self.triage.database.sessions() as s:
            return list((await s.scalars(select(TriageCase))).all())

    def procesregisseur(self) -> Procesregisseur:
        return Procesregisseur(self.intake.settings, "pr-test-01")

    async def accept(self, case_id: uuid.UUID) -> None:
        async with self.procesregisseur() as pr:
            await pr.send(pr.accept(case_id))

    async def accept_all(self, expected: int) -> list[TriageCase]:
        """Accept every received case once `expected` exist; wait until triage opened them all."""
        cases = await eventually(lambda: at_least(self.cases, expected))
        for case in cases:
            await self.accept(case.case_id)
        return await eventually(lambda: at_least(self.triage_cases, expected))


TEST_PARTIES = (PARTY, OTHER_PARTY)


class AdjustableClock:
    """A controllable clock for retention: real time plus whatever the test advanced it by, or a
    moment it was frozen at."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen if self.frozen is not None else datetime.now(UTC) + self.offset

    def freeze(self, at: datetime) -> None:
        self.frozen = at

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@asynccontextmanager
async def running_hub(
    infra: Infra,
    namespace: str,
    triage_overrides: dict[str, Any] | None = None,
    meeting_overrides: dict[str, Any] | None = None,
    retention_overrides: dict[str, Any] | None = None,
    retention_clock: Callable[[], datetime] | None = None,
    intake_clock: Callable[[], datetime] | None = None,
    audit_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[Hub]:
    """With `meeting_overrides` (even empty) the casemeeting service runs too; with
    `retention_overrides` retention too, on `retention_clock` when given; with `audit_overrides`
    the audit service too. Intake runs on `intake_clock` when given."""
    triage_overrides = triage_overrides or {}
    spans, records = InMemorySpanExporter(), InMemoryProcessingLog()
    intake_settings = settings_for(
        IntakeSettings, infra, namespace, partner_topics=overrides.pop("partner_topics", TEST_PARTIES), **overrides
    )
    intake = create_intake(
        intake_settings, span_exporter=spans, processing_log=records, **({"clock": intake_clock} if intake_clock else {})
    )
    triage_settings = settings_for(
        TriageSettings, infra, namespace, deadline_scan_interval_s=0.2, **{**overrides, **triage_overrides}
    )
    triage = create_triage(triage_settings, span_exporter=spans, processing_log=records)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(intake.app())
        await stack.enter_async_context(triage.app())
        meeting = None
        if meeting_overrides is not None:
            meeting_settings = settings_for(CasemeetingSettings, infra, namespace, **{**overrides, **meeting_overrides})
            meeting = create_casemeeting(meeting_settings, span_exporter=spans, processing_log=records)
            await stack.enter_async_context(meeting.app())
        retention = None
        if retention_overrides is not None:
            retention_settings = settings_for(
                RetentionSettings, infra, namespace, purge_scan_interval_s=0.2, **{**overrides, **retention_overrides}
            )
            clock = {"clock": retention_clock} if retention_clock else {}
            retention = create_retention(retention_settings, span_exporter=spans, processing_log=records, **clock)
            await stack.enter_async_context(retention.app())
        audit = None
        if audit_overrides is not None:
            audit = create_audit(settings_for(AuditSettings, infra, namespace, **{**overrides, **audit_overrides}))
            await stack.enter_async_context(audit.app())
        yield Hub(intake, triage, spans, records, meeting, retention, audit)


def cli_env(hub: Hub) -> dict[str, str]:
    """The environment in which the `zorgtafel` CLI talks to this test's hub."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": hub.intake.settings.kafka_bootstrap_servers,
        "ZT_KAFKA_SECURITY_PROTOCOL": hub.intake.settings.kafka_security_protocol,
        "DATABASE_URL": hub.intake.settings.database_url,
        "ZT_TOPIC_PREFIX": hub.intake.settings.topic_prefix,
        "ZT_CONSUMER_GROUP_PREFIX": hub.intake.settings.consumer_group_prefix,
    }


async def zorgtafel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a person would, in its own process."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


async def events_on(infra: Infra, registered: Topic, namespace: str, *types: str) -> list[dict[str, Any]]:
    """The events on a registry topic, of the given types (all when none are named)."""
    return [e for e in bodies(await read_topic(infra, registered, namespace)) if not types or e["event_type"] in types]


async def inbox_of(partner: PartnerSystem, event_type: str, n: int = 1) -> list[dict[str, Any]]:
    """The notices of one type on a party's inbox, once there are at least `n`."""

    async def found() -> list[dict[str, Any]] | None:
        matching = [x for x in await partner.read_inbox() if x["event_type"] == event_type]
        return matching if len(matching) >= n else None

    return await eventually(found)


async def dead_letters(infra: Infra, namespace: str) -> list[dict[str, Any]]:
    """Each dead letter on this test's dead-letter topic: its headers (decoded) and its value."""
    return [
        {"headers": {k: v.decode(errors="replace") for k, v in r.headers}, "value": r.value}
        for r in await read_topic(infra, DEAD_LETTER, namespace)
    ]


async def raw_send(infra: Infra, topic: str, value: bytes, headers: dict[str, str] | None = None) -> None:
    """Bytes as they are, as the administrator (up to twice Kafka's usual 1 MiB request)."""
    producer = AIOKafkaProducer(**infra.admin().aiokafka(), max_request_size=2_096_600)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, headers=[(k, v.encode()) for k, v in (headers or {}).items()])
    finally:
        await producer.stop()
