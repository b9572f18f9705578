"""Topic creation from the registry (the broker does not auto-create topics)."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.contracts.topics import Topic

log = structlog.get_logger(__name__)
_TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    pass


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[Topic], *, prefix: str = "", replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the names it created. Safe to call twice."""
    wanted = {t.named(prefix): t for t in topics}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = {name: t for name, t in wanted.items() if name not in existing}
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(name, num_partitions=t.partitions, replication_factor=replication_factor)
                for name, t in missing.items()
            ]
        )
        failed = [
            (topic, code)
            for topic, code, *_ in response.topic_errors
            if code not in (0, _TOPIC_ALREADY_EXISTS)
        ]
        if failed:
            raise TopicCreationError(f"could not create topics: {failed}")
        created = list(missing)
        log.info("topics.created", count=len(created))
        return created
    finally:
        await admin.close()
