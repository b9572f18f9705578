"""Delivery semantics of the shared consumer machinery, on the real broker and PostgreSQL.

A small probe service is built from the same parts as every hub service (build_runtime, the
reliability middleware, the outbox and inbox); its handler's behaviour is the variable.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaRouter
from sqlalchemy import Table, func, select
from sqlalchemy.exc import OperationalError

from services.intake.config import IntakeSettings
from services.intake.models import Base as IntakeBase
from shared.contracts.envelope import Event
from shared.contracts.topics import AANMELDING_EVENTS, DEAD_LETTER, Topic
from shared.messaging.admin import ensure_topics
from shared.messaging.broker import group_id
from shared.messaging.tables import messaging_tables
from shared.persistence.database import Database, new_metadata
from shared.retention.policy import load_policy
from shared.runtime import Runtime
from shared.runtime_build import build_runtime
from shared.security.acls import service_acls
from shared.security.apply import grant
from shared.security.endpoints import endpoints_of
from shared.settings import ServiceSettings
from tests.infra import ROOT, Infra
from tests.support import TEST_PARTIES, Partner, a_referral, eventually, read_topic, running_hub, settings_for

pytestmark = pytest.mark.infra

PROBE_TOPIC = Topic("zorgtafel.probe.events.v1", "test-only topic", partitions=1)
PROBE = "zt-probe"


class ProbeHappened(Event):
    event_type: Literal["probe.happened"] = "probe.happened"
    schema_version: Literal[1] = 1


Behaviour = Callable[[Runtime, ProbeHappened], Awaitable[None]]


async def probe_service(infra: Infra, namespace: str, behaviour: Behaviour, **overrides: object) -> Runtime:
    settings = settings_for(ServiceSettings, infra, namespace, kafka_username=PROBE, **overrides)
    # Its topic, as the administrator creates every topic (services only use theirs).
    await ensure_topics(infra.admin(), (PROBE_TOPIC,), policy=load_policy(), prefix=settings.topic_prefix)
    if infra.secured:  # its own principal, as every service has: a credential now, its rules below
        grant(infra.admin(), PROBE, set(), settings.secret_file)
    runtime = build_runtime("probe", settings, new_metadata(), schema="from-models")
    router = KafkaRouter()
    inbox = runtime.inbox("probe")

    @runtime.subscriber(router, "probe", PROBE_TOPIC.name)
    async def on_probe(body: ProbeHappened) -> None:
        await behaviour(runtime, body)
        async with runtime.unit_of_work() as uow:  # the state change: one inbox row per event
            await inbox.record(uow.session, body.event_id)
            await uow.commit()

    runtime.include(router)
    if infra.secured:  # exactly what its code reads and writes, as `security apply` grants a service
        endpoints = endpoints_of("probe", runtime.broker, settings.topic_prefix)
        grant(infra.admin(), PROBE, service_acls(endpoints, (), settings.topic_prefix), settings.secret_file)
    return runtime


async def publish_probe(infra: Infra, namespace: str) -> ProbeHappened:
    event = ProbeHappened(case_id=uuid.uuid4(), producer="test", correlation_id=uuid.uuid4())
    producer = AIOKafkaProducer(**infra.admin().aiokafka())
    await producer.start()
    try:
        await producer.send_and_wait(
            PROBE_TOPIC.named(f"{namespace}."),
            event.model_dump_json().encode(),
            key=str(event.case_id).encode(),
            headers=[("content-type", b"application/json")],
        )
    finally:
        await producer.stop()
    return event


async def committed_offset(infra: Infra, runtime: Runtime) -> int | None:
    admin = AIOKafkaAdminClient(**infra.admin().aiokafka())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id(runtime.settings, "probe", "probe"))
    finally:
        await admin.close()
    tp = TopicPartition(PROBE_TOPIC.named(runtime.settings.topic_prefix), 0)
    return offsets[tp].offset if tp in offsets else None


async def processed(runtime: Runtime) -> int:
    async with runtime.database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(runtime.tables.inbox)) or 0)


async def test_a_transient_failure_is_retried_with_backoff_and_commits_only_after_success(
    infra: Infra, namespace: str
) -> None:
    attempts: list[float] = []
    first_failure = asyncio.Event()

    async def flaky(runtime: Runtime, event: ProbeHappened) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) <= 2:
            first_failure.set()
            raise OperationalError("INSERT", {}, ConnectionRefusedError())

    runtime = await probe_service(infra, namespace, flaky, retry_base_delay_s=0.4, retry_max_delay_s=2.0)
    async with runtime.app():
        await publish_probe(infra, namespace)
        await asyncio.wait_for(first_failure.wait(), 30)
        assert await committed_offset(infra, runtime) is None  # not committed while failing
        await eventually(lambda: processed(runtime))
        await eventually(lambda: committed_offset(infra, runtime))
        assert await committed_offset(infra, runtime) == 1
    assert len(attempts) == 3
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.4 and gaps[1] >= 0.8  # exponential backoff, not an instant loop
    assert await read_topic(infra, DEAD_LETTER, namespace) == []


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_bounded_attempts(
    infra: Infra, namespace: str
) -> None:
    failing: set[uuid.UUID] = set()

    async def broken_for_one(runtime: Runtime, event: ProbeHappened) -> None:
        if not failing:
            failing.add(event.event_id)
        if event.event_id in failing:
            raise RuntimeError("a bug in the handler")

    runtime = await probe_service(infra, namespace, broken_for_one, max_handler_attempts=3)
    async with runtime.app():
        bad = await publish_probe(infra, namespace)
        await publish_probe(infra, namespace)
        await eventually(lambda: processed(runtime))
        await eventually(lambda: committed_offset(infra, runtime))
    (dead,) = await read_topic(infra, DEAD_LETTER, namespace)
    headers = {k: v.decode() for k, v in dead.headers}
    assert (headers["zt-dlq-reason"], headers["zt-dlq-detail"]) == ("handler-failed", "RuntimeError")
    assert headers["zt-dlq-offset"] == "0" and headers["zt-dlq-consumer"] == "probe"
    assert ProbeHappened.model_validate_json(dead.value).event_id == bad.event_id
    assert await processed(runtime) == 1


async def test_shutdown_lets_the_in_flight_handler_finish_and_commit(infra: Infra, namespace: str) -> None:
    started = asyncio.Event()

    async def slow(runtime: Runtime, event: ProbeHappened) -> None:
        started.set()
        await asyncio.sleep(1.5)

    runtime = await probe_service(infra, namespace, slow)
    app = runtime.app()
    await app.start()
    try:
        await publish_probe(infra, namespace)
        await asyncio.wait_for(started.wait(), 30)
    finally:
        await app.stop()  # while the handler sleeps
    assert await committed_offset(infra, runtime) == 1
    database = Database(runtime.database.url)
    try:
        async with database.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(runtime.tables.inbox)) == 1
    finally:
        await database.dispose()


async def test_a_service_killed_between_commit_and_publish_loses_nothing(infra: Infra, namespace: str) -> None:
    settings = settings_for(IntakeSettings, infra, namespace)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "ZT_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
        "DATABASE_URL": settings.database_url,
        "ZT_TOPIC_PREFIX": settings.topic_prefix,
        "ZT_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "ZT_PARTNER_TOPICS": json.dumps(TEST_PARTIES),
        # Commit happens, the relay never gets to publish: the moment a crash would hurt most.
        "ZT_OUTBOX_RELAY_ENABLED": "false",
    }
    intake = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "intake"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    database = Database(settings.database_url_for("intake"))
    outbox = database_outbox_rows(database)
    try:
        async with Partner(infra, namespace) as partner:
            await partner.submit(a_referral())
        await eventually(outbox, timeout_s=60)
    finally:
        intake.send_signal(signal.SIGKILL)
        _, stderr = intake.communicate(timeout=30)
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-2000:]
        await database.dispose()
    assert await read_topic(infra, AANMELDING_EVENTS, namespace) == []

    async with running_hub(infra, namespace) as hub:  # the restart, now with its relay
        (case,) = await hub.accept_all(1)
        (referral,) = await hub.referrals()
    assert case.case_id == referral.case_id
    assert len(await read_topic(infra, AANMELDING_EVENTS, namespace)) == 1


def database_outbox_rows(database: Database) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        async with database.sessions() as s:
            try:
                return int(await s.scalar(select(func.count()).select_from(_outbox_table())) or 0)
            except Exception:  # the schema may not exist yet while the service starts
                return 0

    return count


def _outbox_table() -> Table:
    return messaging_tables(IntakeBase.metadata).outbox
