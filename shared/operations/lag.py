"""Consumer lag as the broker sees it: each consumer group's committed offset against the
partition's end offset. Read as the operations principal, which may describe topics and groups
and read no message (shared/security/acls.py `operations_acls`); it works whether or not the
service is running, which is when lag matters most."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.messaging.security import KafkaAccess


@dataclass(frozen=True, order=True)
class PartitionLag:
    """`service`: the group's service (`<group prefix>.<service>.<handler>`); `lag`: records
    between the group's committed offset and the end of the partition."""

    service: str
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


def service_of(group: str, group_prefix: str) -> str | None:
    """The service of one of the hub's consumer groups, or None for another's group."""
    head = f"{group_prefix}."
    if not group.startswith(head):
        return None
    service, _, handler = group[len(head):].partition(".")
    return service if handler else None


async def consumer_lag(access: KafkaAccess, group_prefix: str, topic_prefix: str = "") -> list[PartitionLag]:
    """Every partition a hub consumer group committed an offset on, sorted by service, group,
    topic and partition. Topics outside the environment (`topic_prefix`) are left out."""
    admin = AIOKafkaAdminClient(**access.aiokafka())
    try:
        await admin.start()
        groups = sorted(g for g, _ in await admin.list_consumer_groups() if service_of(g, group_prefix))
        committed: dict[tuple[str, TopicPartition], int] = {}
        for group in groups:
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                if meta is not None and meta.offset >= 0 and tp.topic.startswith(topic_prefix):
                    committed[(group, tp)] = meta.offset
    finally:
        await admin.close()
    ends = await end_offsets(access, {tp for _, tp in committed})
    return sorted(
        PartitionLag(service_of(g, group_prefix) or "", g, tp.topic, tp.partition, offset, ends.get(tp, offset))
        for (g, tp), offset in committed.items()
    )


async def end_offsets(access: KafkaAccess, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
    """Each partition's end offset (the next offset to be written), read without a group."""
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(**access.aiokafka(), enable_auto_commit=False)
    try:
        await consumer.start()
        return dict(await consumer.end_offsets(list(partitions)))
    finally:
        await consumer.stop()
