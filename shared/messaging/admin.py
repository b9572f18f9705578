"""Topic creation and retention from the registry (the broker does not auto-create topics).

Every topic gets the configs `shared.retention.topics.topic_configs` derives from the retention
policy (`retention.ms`, `cleanup.policy`, `segment.ms`), when it is created and again whenever the policy
changes: the policy file and the broker's topic configuration must agree (covenant art. 1.2,
Bijlage 3: data that is no longer necessary is destroyed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.contracts.topics import Topic
from shared.messaging.security import KafkaAccess
from shared.retention.policy import RetentionPolicy
from shared.retention.topics import topic_configs

log = structlog.get_logger(__name__)
_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC_OR_PARTITION = 3
# DescribeConfigs `config_source` (v1+; Kafka 4 serves nothing older): set on the topic itself,
# as opposed to a broker's or the built-in default.
_DYNAMIC_TOPIC_CONFIG = 1
# A topic another process just created may not be in this broker's metadata yet.
_DESCRIBE_ATTEMPTS = 10
_DESCRIBE_RETRY_S = 0.3


class TopicCreationError(RuntimeError):
    """The broker refused to create or configure topics; the message names topics and error codes only."""


@dataclass(frozen=True)
class TopicChanges:
    """What one `ensure_topics` call changed: broker topic names (with the environment's prefix)."""

    created: tuple[str, ...] = ()
    reconfigured: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reconfigured)


class TopicsMissingError(RuntimeError):
    """Topics a service uses do not exist (yet); the message counts them, names none."""


async def missing_topics(access: KafkaAccess, names: Iterable[str]) -> set[str]:
    """Which of `names` the principal of `access` cannot see on the broker: not created yet, or
    not its to use (a topic without an ACL for it is invisible to it)."""
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        return set(names) - set(await admin.list_topics())
    finally:
        await admin.close()


async def ensure_topics(
    access: KafkaAccess,
    topics: Iterable[Topic],
    *,
    policy: RetentionPolicy,
    prefix: str = "",
    replication_factor: int = 1,
) -> TopicChanges:
    """Create the missing topics with the policy's configs, and re-configure existing ones on which
    any of those configs differs (or is only a default). Idempotent: a second call changes nothing.

    Raises ValueError (before connecting) for a topic without a retention category, and
    TopicCreationError when the broker refuses. Other configs an operator set on a topic are kept.
    """
    registered = {t.named(prefix): t for t in topics}
    wanted = {name: topic_configs(t, policy) for name, t in registered.items()}
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = {name: t for name, t in registered.items() if name not in existing}
        created = await _create(admin, missing, wanted, replication_factor)
        reconfigured = await _reconfigure(admin, {n: c for n, c in wanted.items() if n not in created})
    finally:
        await admin.close()
    changes = TopicChanges(tuple(created), tuple(reconfigured))
    if changes.changed:
        log.info("topics.ensured", created=len(created), reconfigured=len(reconfigured), policy=policy.policy_version)
    return changes


async def _create(
    admin: AIOKafkaAdminClient, missing: dict[str, Topic], wanted: dict[str, dict[str, str]], replication_factor: int
) -> list[str]:
    """Create `missing` with their configs; the names created (not those another process won the race for)."""
    if not missing:
        return []
    response = await admin.create_topics(
        [
            NewTopic(
                name, num_partitions=t.partitions, replication_factor=replication_factor, topic_configs=wanted[name]
            )
            for name, t in missing.items()
        ]
    )
    errors = {topic: code for topic, code, *_ in response.topic_errors}
    failed = sorted((topic, code) for topic, code in errors.items() if code not in (0, _TOPIC_ALREADY_EXISTS))
    if failed:
        raise TopicCreationError(f"could not create topics: {failed}")
    return [name for name in missing if errors.get(name) == 0]


async def _reconfigure(admin: AIOKafkaAdminClient, wanted: dict[str, dict[str, str]]) -> list[str]:
    """Alter the topics whose managed configs differ from `wanted`; the names altered."""
    if not wanted:
        return []
    current = await _dynamic_configs(admin, list(wanted))
    # Legacy AlterConfigs (aiokafka 0.14 has no incremental variant) replaces all dynamic configs
    # of a topic, so the operator's other configs are sent along with ours.
    stale = {
        name: {**current[name], **configs}
        for name, configs in wanted.items()
        if any(current[name].get(key) != value for key, value in configs.items())
    }
    if not stale:
        return []
    responses = await admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, configs) for name, configs in stale.items()]
    )
    failed = sorted((r[3], r[0]) for response in responses for r in response.resources if r[0] != 0)
    if failed:
        raise TopicCreationError(f"could not configure topics: {failed}")
    return list(stale)


async def _dynamic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """Per topic, the configs set on the topic itself (a broker default does not count as set)."""
    found: dict[str, dict[str, str]] = {}
    pending = names
    for attempt in range(_DESCRIBE_ATTEMPTS):
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in pending])
        # resources: (error_code, error_message, resource_type, resource_name, config_entries);
        # entries: (name, value, read_only, config_source, is_sensitive, synonyms).
        resources = [r for response in responses for r in response.resources]
        unknown = [r[3] for r in resources if r[0] == _UNKNOWN_TOPIC_OR_PARTITION]
        failed = sorted((r[3], r[0]) for r in resources if r[0] not in (0, _UNKNOWN_TOPIC_OR_PARTITION))
        if failed:
            raise TopicCreationError(f"could not read topic configs: {failed}")
        for r in resources:
            if r[0] == 0:
                # A sensitive value comes back as None and cannot be sent back; topics have none.
                found[r[3]] = {e[0]: e[1] for e in r[4] if e[3] == _DYNAMIC_TOPIC_CONFIG and e[1] is not None}
        pending = unknown
        if not pending:
            return found
        if attempt < _DESCRIBE_ATTEMPTS - 1:
            await asyncio.sleep(_DESCRIBE_RETRY_S)
    raise TopicCreationError(
        f"could not read topic configs: {sorted((n, _UNKNOWN_TOPIC_OR_PARTITION) for n in pending)}"
    )
