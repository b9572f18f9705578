"""The broker's topic retention agrees with the retention policy file, and follows it when it changes."""

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.contracts.topics import DEAD_LETTER, HUB_TOPICS, Topic, partner_inbound, partner_topics
from shared.messaging.admin import TopicChanges, ensure_topics
from shared.retention.categories import Category
from shared.retention.policy import load_policy
from shared.retention.topics import retention_category
from tests.infra import ROOT, Infra
from tests.support import TEST_PARTIES, eventually

pytestmark = pytest.mark.infra

POLICY_FILE = ROOT / "shared" / "retention" / "data" / "retention-policy.v1.json"
DAY_MS = 24 * 60 * 60 * 1000
DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic, not a default
UNKNOWN_TOPIC = 3
REGISTRY: tuple[Topic, ...] = (*HUB_TOPICS, *partner_topics(TEST_PARTIES))


def file_terms(path: Path = POLICY_FILE) -> dict[str, int]:
    """The by-age terms in days, read from the file itself rather than through the code under test."""
    return {category: rule["term_days"] for category, rule in json.loads(path.read_text())["by_age"].items()}


async def topic_configs_on_broker(infra: Infra, names: Iterable[str]) -> dict[str, dict[str, tuple[str, int]]] | None:
    """Per topic: config name -> (value, config_source), as the broker describes it; None while a
    topic is not yet in the broker's metadata (KRaft: the controller knows it a moment earlier)."""
    admin = AIOKafkaAdminClient(**infra.admin().aiokafka())
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    resources = [r for response in responses for r in response.resources]
    if any(r[0] == UNKNOWN_TOPIC for r in resources):
        return None
    assert all(r[0] == 0 for r in resources), [(r[3], r[0]) for r in resources]
    return {r[3]: {e[0]: (e[1], e[3]) for e in r[4]} for r in resources}


def expected_ms(topic: Topic, terms: dict[str, int]) -> str:
    return str(terms[retention_category(topic.name).value] * DAY_MS)


def disagreements(described: dict[str, dict[str, tuple[str, int]]], prefix: str, terms: dict[str, int]) -> list[str]:
    """The topics whose retention on the broker is not the one the policy file gives them."""
    return [
        t.name
        for t in REGISTRY
        if described[t.named(prefix)].get("retention.ms") != (expected_ms(t, terms), DYNAMIC_TOPIC_CONFIG)
        or described[t.named(prefix)].get("cleanup.policy") != ("delete", DYNAMIC_TOPIC_CONFIG)
        or described[t.named(prefix)].get("segment.ms") != (str(DAY_MS), DYNAMIC_TOPIC_CONFIG)
    ]


async def test_the_policy_file_and_the_topic_configuration_agree(infra: Infra, namespace: str) -> None:
    prefix = f"{namespace}.fresh."  # beside the namespace's provisioned topics: none exist yet
    terms = file_terms()
    changes = await ensure_topics(infra.admin(), REGISTRY, policy=load_policy(), prefix=prefix)
    assert sorted(changes.created) == sorted(t.named(prefix) for t in REGISTRY) and changes.reconfigured == ()

    names = [t.named(prefix) for t in REGISTRY]
    described = await eventually(lambda: topic_configs_on_broker(infra, names))
    assert disagreements(described, prefix, terms) == []
    # Spelled out once, so a policy file that silently lost its terms cannot agree with itself.
    assert described[DEAD_LETTER.named(prefix)]["retention.ms"][0] == str(14 * DAY_MS)
    assert described[partner_inbound(TEST_PARTIES[0]).named(prefix)]["retention.ms"][0] == str(14 * DAY_MS)

    again = await ensure_topics(infra.admin(), REGISTRY, policy=load_policy(), prefix=prefix)
    assert again == TopicChanges()


async def test_a_replaced_policy_reconfigures_the_existing_topics_once(
    infra: Infra, namespace: str, tmp_path: Path
) -> None:
    prefix = f"{namespace}.fresh."  # beside the namespace's provisioned topics: none exist yet
    await ensure_topics(infra.admin(), REGISTRY, policy=load_policy(), prefix=prefix)
    names = [t.named(prefix) for t in REGISTRY]
    await eventually(lambda: topic_configs_on_broker(infra, names))
    # An operator's own config on a topic must survive our re-configuration (AlterConfigs replaces all).
    inbound = partner_inbound(TEST_PARTIES[0]).named(prefix)
    admin = AIOKafkaAdminClient(**infra.admin().aiokafka())
    await admin.start()
    try:
        own = {
            "cleanup.policy": "delete",
            "retention.ms": str(14 * DAY_MS),
            "segment.ms": str(DAY_MS),
            "max.message.bytes": "2000000",
        }
        (altered,) = await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, inbound, own)])
        assert altered.resources[0][0] == 0
    finally:
        await admin.close()

    async def operator_config_visible() -> bool:
        described = await topic_configs_on_broker(infra, [inbound])
        return described is not None and described[inbound].get("max.message.bytes") == (
            "2000000",
            DYNAMIC_TOPIC_CONFIG,
        )

    await eventually(operator_config_visible, timeout_s=15)

    raw = json.loads(POLICY_FILE.read_text())
    raw["by_age"][Category.TRANSPORT_COPIES.value]["term_days"] = 3
    replaced = tmp_path / "retention-policy.json"
    replaced.write_text(json.dumps(raw))
    terms = file_terms(replaced)
    assert terms["transport_copies"] == 3 and terms["hub_events"] == file_terms()["hub_events"]

    changes = await ensure_topics(infra.admin(), REGISTRY, policy=load_policy(replaced), prefix=prefix)
    transport = [t.named(prefix) for t in REGISTRY if retention_category(t.name) is Category.TRANSPORT_COPIES]
    assert changes.created == () and sorted(changes.reconfigured) == sorted(transport)

    async def agreeing() -> dict[str, dict[str, tuple[str, int]]] | None:
        described = await topic_configs_on_broker(infra, names)
        return None if described is None or disagreements(described, prefix, terms) else described

    described = await eventually(agreeing, timeout_s=15)
    assert described[inbound]["retention.ms"][0] == str(3 * DAY_MS)
    assert described[inbound]["max.message.bytes"] == ("2000000", DYNAMIC_TOPIC_CONFIG)

    third = await ensure_topics(infra.admin(), REGISTRY, policy=load_policy(replaced), prefix=prefix)
    assert third == TopicChanges()
