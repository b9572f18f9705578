"""Kafka's own command-line tools from the project's broker install (issue 14, deliverable 3):
`deploy/kafka/kafka.sh tool NAME` connects them to the local broker as zt-operations, who sees
topics and consumer groups' lag and changes nothing (shared/security/acls.py, operations_acls)."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.intake.config import IntakeSettings
from shared.contracts.topics import DEAD_LETTER, INTAKE_EVENTS
from shared.security.acls import ADMIN, OPERATIONS
from tests.infra import ROOT, Infra
from tests.support import read_topic

pytestmark = pytest.mark.infra
KAFKA_SH = ROOT / "deploy/kafka/kafka.sh"


@pytest.fixture(autouse=True)
def local_broker(infra: Infra) -> None:
    host, _, port = infra.kafka_bootstrap_servers.partition(":")
    if not infra.secured or host not in ("127.0.0.1", "localhost") or not port.isdigit():
        pytest.skip("the tools run against the project's own secured broker on this machine")


def tools_env(infra: Infra, principal: str | None = None) -> dict[str, str]:
    """The environment the tests' broker was started in (its port; ZT_STATE_DIR, where its CA
    certificate and the secrets are), acting as `principal` (zt-operations when None)."""
    env = {**os.environ, "KAFKA_PORT": infra.kafka_bootstrap_servers.rpartition(":")[2]}
    env.pop("KAFKA_TOOL_PRINCIPAL", None)
    if principal:
        env["KAFKA_TOOL_PRINCIPAL"] = principal
    return env


async def tool(
    infra: Infra, *args: str, principal: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`kafka.sh tool ARGS` as an operator runs it: as zt-operations unless `principal` says."""
    return await asyncio.to_thread(
        subprocess.run, [str(KAFKA_SH), "tool", *args], env=tools_env(infra, principal), input=stdin,
        capture_output=True, text=True, timeout=120,
    )


async def dead_letters(infra: Infra, namespace: str, count: int) -> str:
    """`count` records on the test's dead-letter topic (one partition), written as the
    administrator. Returns the topic's name."""
    topic = DEAD_LETTER.named(f"{namespace}.")
    producer = AIOKafkaProducer(**infra.admin().aiokafka(), acks="all")
    await producer.start()
    try:
        for _ in range(count):
            await producer.send_and_wait(topic, b"{}", partition=0)
    finally:
        await producer.stop()
    return topic


async def commit(infra: Infra, group: str, topic: str, offset: int) -> None:
    """Consumer group `group` of zt-operations commits `offset` on the topic's partition 0."""
    consumer = AIOKafkaConsumer(**infra.access(OPERATIONS).aiokafka(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): offset})
    finally:
        await consumer.stop()


async def test_operations_list_the_consumer_groups_of_their_environment(infra: Infra, namespace: str) -> None:
    group = f"{namespace}.operations.dead-letters"
    await commit(infra, group, await dead_letters(infra, namespace, 1), 1)
    listed = await tool(infra, "consumer-groups", "--list")
    assert listed.returncode == 0, listed.stderr
    assert group in listed.stdout.split()


async def test_operations_see_a_consumer_groups_lag(infra: Infra, namespace: str) -> None:
    group = f"{namespace}.operations.dead-letters"
    topic = await dead_letters(infra, namespace, 3)
    await commit(infra, group, topic, 1)
    described = await tool(infra, "consumer-groups", "--describe", "--group", group)
    assert described.returncode == 0, described.stderr
    (row,) = [line.split() for line in described.stdout.splitlines() if topic in line.split()]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert row[1:6] == [topic, "0", "1", "3", "2"]


async def test_operations_read_the_dead_letter_topic_from_the_beginning_without_a_group(
    infra: Infra, namespace: str
) -> None:
    """Reading by partition and offset commits nothing: no consumer group of theirs is needed
    (`--from-beginning` alone would take a random group, which operations may not use)."""
    topic = await dead_letters(infra, namespace, 2)
    read = await tool(infra, "console-consumer", "--topic", topic, "--partition", "0", "--offset", "earliest",
                      "--max-messages", "2", "--timeout-ms", "30000")
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines() == ["{}", "{}"]


async def test_operations_print_a_topics_end_offsets(infra: Infra, namespace: str) -> None:
    topic = await dead_letters(infra, namespace, 2)
    printed = await tool(infra, "get-offsets", "--topic", topic)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split() == [f"{topic}:0:2"]


async def test_operations_describe_a_topics_partitions(infra: Infra, namespace: str) -> None:
    topic = INTAKE_EVENTS.named(f"{namespace}.")
    described = await tool(infra, "topics", "--describe", "--topic", topic)
    assert described.returncode == 0, described.stderr
    partitions = re.findall(rf"Topic: {re.escape(topic)}\s+Partition: (\d+)", described.stdout)
    assert sorted(map(int, partitions)) == list(range(INTAKE_EVENTS.partitions))


def alter_retention(topic: str) -> tuple[str, ...]:
    return ("configs", "--alter", "--entity-type", "topics", "--entity-name", topic, "--add-config", "retention.ms=1000")


async def test_operations_cannot_alter_a_topics_configuration(infra: Infra, namespace: str) -> None:
    topic = INTAKE_EVENTS.named(f"{namespace}.")
    altered = await tool(infra, *alter_retention(topic))
    assert altered.returncode != 0
    assert "AuthorizationException" in altered.stderr
    shown = await tool(infra, "configs", "--describe", "--entity-type", "topics", "--entity-name", topic)
    assert shown.returncode == 0, shown.stderr
    assert "retention.ms=1000" not in shown.stdout


async def test_the_administrator_may_alter_what_operations_may_not(infra: Infra, namespace: str) -> None:
    """The other side of the refusal above: the same command works as zt-admin, so what refused it
    was operations' rights, not the command."""
    topic = INTAKE_EVENTS.named(f"{namespace}.")
    altered = await tool(infra, *alter_retention(topic), principal=ADMIN)
    assert altered.returncode == 0, altered.stderr
    shown = await tool(infra, "configs", "--describe", "--entity-type", "topics", "--entity-name", topic)
    assert "retention.ms=1000" in shown.stdout


async def test_operations_cannot_produce_with_the_console_producer(infra: Infra, namespace: str) -> None:
    produced = await tool(infra, "console-producer", "--topic", DEAD_LETTER.named(f"{namespace}."), stdin="{}\n")
    # Kafka's console producer logs a refused send and still exits 0: the proof is the topic.
    assert "AuthorizationException" in produced.stderr
    assert await read_topic(infra, DEAD_LETTER, namespace) == []


async def test_the_client_properties_are_the_principals_own_and_hold_no_other_password(
    infra: Infra, namespace: str
) -> None:
    settings = IntakeSettings()  # where the secrets are (ZT_STATE_DIR)
    written = await asyncio.to_thread(
        subprocess.run, [str(KAFKA_SH), "client-config"], env=tools_env(infra), check=True, capture_output=True, text=True
    )
    properties = Path(written.stdout.strip())
    assert stat.S_IMODE(properties.stat().st_mode) == 0o600
    assert stat.S_IMODE(properties.parent.stat().st_mode) == 0o700
    text = properties.read_text()
    assert f'username="{OPERATIONS}" password="{settings.secret_file(OPERATIONS).read_text().strip()}"' in text
    others = [f for f in settings.secret_file(OPERATIONS).parent.glob("*.password") if f.name != f"{OPERATIONS}.password"]
    assert others  # the broker's and the administrator's at least
    assert not [f.name for f in others if f.read_text().strip() in text]
