"""Whether each consumer of a service has joined its group: part of readiness.

A consumer counts as assigned once Kafka's group protocol handed it an assignment, even an empty
one: a replica beyond a topic's partition count is a healthy standby, not an unready service.
"""

from __future__ import annotations

from aiokafka import ConsumerRebalanceListener, TopicPartition


class AssignmentListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka's rebalance callbacks for one subscriber (FastStream's `listener=` option)."""

    def __init__(self) -> None:
        self.assigned: frozenset[TopicPartition] | None = None  # None: no assignment yet

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Between revocation and the next assignment the consumer is rebalancing, not absent:
        # keep it counted, or every rebalance would flap readiness.
        pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.assigned = frozenset(assigned)


class Assignments:
    """One listener per consumer group of the service, by group id."""

    def __init__(self) -> None:
        self._listeners: dict[str, AssignmentListener] = {}

    def listener(self, group: str) -> AssignmentListener:
        return self._listeners.setdefault(group, AssignmentListener())

    def waiting(self) -> list[str]:
        """The consumer groups whose consumer has no assignment yet, sorted."""
        return sorted(g for g, listener in self._listeners.items() if listener.assigned is None)
