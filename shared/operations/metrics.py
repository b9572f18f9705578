"""The service's own Prometheus metrics, beside FastStream's per-handler ones.

FastStream's `KafkaPrometheusMiddleware` counts messages received, processed (by status) and
their handler latency per handler (`faststream_*`, label `handler` = the topic). These add what
only the hub knows (`zorgtafel_*`): consumer lag, the outbox, dead letters and, in retention,
purges due and overdue. Gauges are read when Prometheus scrapes, so they are never stale.

Labels are service, consumer group, topic, partition and reason codes: never a case id, a party's
message id or anything of a person (covenant art. 15; AVG art. 5.1c).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.operations.outbox_state import OutboxState

LAG_READ_TIMEOUT_S = 1.0


class HubMetrics:
    """One registry per service runtime (several runtimes share a test process)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.dead_letters = Counter(
            "zorgtafel_dead_letters", "Messages this service put on the dead-letter topic",
            ["service", "consumer", "reason"], registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "zorgtafel_consumer_lag", "Records behind the partition's high watermark, per consumer group",
            ["service", "group", "topic", "partition"], registry=self.registry,
        )
        self.outbox_waiting = Gauge(
            "zorgtafel_outbox_rows", "Outbox rows waiting to be published", ["service"], registry=self.registry
        )
        self.outbox_oldest = Gauge(
            "zorgtafel_outbox_oldest_age_seconds", "Age of the oldest outbox row waiting (0 when none)",
            ["service"], registry=self.registry,
        )
        self.outbox_parked = Gauge(
            "zorgtafel_outbox_parked_rows", "Outbox rows Kafka refused for good, kept for operations",
            ["service"], registry=self.registry,
        )
        # Service-specific gauges (retention's purges) read at each scrape.
        self._extra: list[Callable[[], Awaitable[None]]] = []

    def counted_dead_letter(self, consumer: str, reason: str) -> None:
        """Called once per dead letter published (shared/messaging/reliability.py)."""
        self.dead_letters.labels(self.service, consumer, reason).inc()

    def gauge(self, name: str, documentation: str, labels: Iterable[str] = ()) -> Gauge:
        """A gauge of this service's registry, labelled by service first."""
        return Gauge(name, documentation, ["service", *labels], registry=self.registry)

    def read_at_scrape(self, refresh: Callable[[], Awaitable[None]]) -> None:
        self._extra.append(refresh)

    def show_outbox(self, state: OutboxState) -> None:
        self.outbox_waiting.labels(self.service).set(state.waiting)
        self.outbox_oldest.labels(self.service).set(state.oldest_age_s or 0.0)
        self.outbox_parked.labels(self.service).set(state.parked)

    async def refresh(self, subscribers: Iterable[Any]) -> None:
        """Read the lag of every consumer and the service's own gauges."""
        self.consumer_lag.clear()  # a partition handed to another replica is no longer ours
        for subscriber in subscribers:
            for consumer in _consumers(subscriber):
                await self._lag_of(consumer, getattr(subscriber, "group_id", None) or "")
        for refresh in self._extra:
            try:
                await asyncio.wait_for(refresh(), LAG_READ_TIMEOUT_S * 2)
            except Exception:  # a database that does not answer is readiness' news: keep the last values
                continue

    async def _lag_of(self, consumer: Any, group: str) -> None:
        for tp in sorted(consumer.assignment()):
            highwater = consumer.highwater(tp)  # known after the first fetch of that partition
            if highwater is None:
                continue
            try:
                position = await asyncio.wait_for(consumer.position(tp), LAG_READ_TIMEOUT_S)
            except Exception:  # rebalancing, or not fetched yet: the next scrape tells
                continue
            self.consumer_lag.labels(self.service, group, tp.topic, str(tp.partition)).set(max(0, highwater - position))


def _consumers(subscriber: Any) -> list[Any]:
    """A FastStream Kafka subscriber's aiokafka consumers (several when it runs concurrently)."""
    group = list(getattr(subscriber, "consumer_subgroup", None) or ())
    single = getattr(subscriber, "consumer", None)
    return group or ([single] if single is not None else [])
