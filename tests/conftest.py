from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.intake.config import IntakeSettings
from shared.messaging.security import KafkaAccess
from tests import infra as infra_module
from tests.infra import Infra, Jaeger
from tests.provisioning import enrol_test_staff, provision_namespace, retire_namespace

# Services a test starts in a process of their own serve /health and /metrics on any free port:
# several test runs may share one machine, and each service's local port is one port.
os.environ.setdefault("ZT_HTTP_PORT", "0")
INFRA_USED = pytest.StashKey[str]()
JAEGER_USED = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    provided = infra_module.provide()
    request.config.stash[INFRA_USED] = f"{provided.source}; kafka {provided.kafka_bootstrap_servers}"
    yield provided
    provided.close()


@pytest.fixture(scope="session", autouse=True)
def staff_keys() -> None:
    """The test staff members' keys in the staff register every test's services judge by."""
    enrol_test_staff(IntakeSettings())


@pytest.fixture(scope="session")
def jaeger(request: pytest.FixtureRequest) -> Jaeger:
    """A real OTLP receiver and trace store, for the tests that export spans; left running after
    the session, like Kafka and PostgreSQL from the local scripts."""
    provided = infra_module.provide_jaeger()
    request.config.stash[JAEGER_USED] = provided.source
    return provided


def pytest_terminal_summary(terminalreporter, config) -> None:  # type: ignore[no-untyped-def]
    used = config.stash.get(INFRA_USED, "none (no test needed Kafka or PostgreSQL)")
    terminalreporter.write_line(f"real infrastructure used: {used}")
    if JAEGER_USED in config.stash:
        terminalreporter.write_line(f"trace receiver used: {config.stash[JAEGER_USED]}")
    running = ["Jaeger (deploy/jaeger/jaeger.sh stop)"] if JAEGER_USED in config.stash else []
    if used.startswith("local scripts"):
        running = ["Kafka (deploy/kafka/kafka.sh stop)", "PostgreSQL (deploy/postgres/postgres.sh stop)", *running]
    if running:  # started once and reused, so the next run starts in seconds
        terminalreporter.write_line(f"left running for the next run: {', '.join(running)}; "
                                    "each test's topics and databases were removed")


@pytest.fixture
def namespace(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh topic prefix and database name per test: tests never see each other's data.

    The test's topics and databases are deleted afterwards: a local broker that keeps every
    test's topics grows to thousands of partitions and slows every later run.
    """
    name = f"t{uuid.uuid4().hex[:10]}"
    uses_kafka = "infra" in request.fixturenames
    if uses_kafka:
        # What an operator does before a deployment starts: its topics, credentials and ACLs
        # (services/cli_security.py), here for the test parties.
        asyncio.run(provision_namespace(request.getfixturevalue("infra"), name))
    yield name
    if uses_kafka:
        infra = request.getfixturevalue("infra")
        asyncio.run(_delete_topics(infra.admin(), f"{name}."))
        asyncio.run(retire_namespace(infra, name))
        # And its databases: a local PostgreSQL kept every test's (~80 a run) until the disk filled.
        asyncio.run(infra.drop_databases(name))


async def _delete_topics(access: KafkaAccess, prefix: str) -> None:
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()
