"""The one way a service builds its Kafka broker."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.trace import TracerProvider

from shared.contracts.audit import AccessRecorded, ProcessingRecorded
from shared.contracts.staff import StaffCommandRefused
from shared.contracts.topics import AUDIT_EVENTS, DEAD_LETTER
from shared.messaging.reliability import ReliableConsumption
from shared.operations.metrics import HubMetrics
from shared.settings import ServiceSettings
from shared.telemetry.kafka import HubKafkaTelemetryMiddleware


def create_broker(
    settings: ServiceSettings, service: str, tracer_provider: TracerProvider, metrics: HubMetrics | None = None
) -> tuple[KafkaBroker, ReliableConsumption]:
    """Broker with trace propagation, delivery semantics and durable publishing, and the delivery
    policy itself (batch handlers dead-letter single records through it).

    The producer is idempotent with `acks=all`: a publish the outbox relay counts as done is on
    the broker's log. Middleware order matters: telemetry is outermost so the reliability
    middleware (inner) handles every failure before a span could record its message. With
    `metrics`, FastStream's Prometheus middleware counts each handler's messages, failures and
    latency into its registry (label `handler`: the topic), and each dead letter is counted.
    """
    reliability = ReliableConsumption(
        consumer_name=service,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
        max_attempts=settings.max_handler_attempts,
        handler_timeout_s=settings.handler_timeout_s,
        dead_letter_topic=DEAD_LETTER.named(settings.topic_prefix),
    )
    if metrics is not None:
        reliability.on_dead_lettered = metrics.counted_dead_letter
    access = settings.kafka_access()  # the service's own principal: least privilege (shared/security)
    broker = KafkaBroker(
        access.bootstrap_servers,
        security=access.faststream(),
        client_id=f"zorgtafel-{service}",
        acks="all",
        enable_idempotence=True,
        graceful_timeout=settings.graceful_timeout_s,
        # Pattern subscriptions (every party's inbound topic) see a newly admitted party's topic
        # only at the next metadata refresh; the default of five minutes is too slow for that.
        metadata_max_age_ms=settings.metadata_max_age_ms,
        middlewares=(
            HubKafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            *([KafkaPrometheusMiddleware(registry=metrics.registry, app_name=service)] if metrics else []),
            reliability,
        ),
        logger=None,
    )
    reliability.bind(broker)  # dead letters publish through this broker
    broker.publisher(
        reliability.dead_letter_topic,
        title=f"{DEAD_LETTER.name}:dead-letter",
        description=DEAD_LETTER.description + " (zt-dlq-reason, zt-dlq-detail, zt-dlq-topic, "
        "zt-dlq-partition, zt-dlq-offset, zt-dlq-consumer, zt-dlq-failed-at). The value is the original bytes.",
    )
    # Every service's Logboek stages its processing and access records for this topic (the outbox
    # relays them): declared here, so the service's ACLs (shared/security) and AsyncAPI show it.
    broker.publisher(
        AUDIT_EVENTS.named(settings.topic_prefix),
        schema=ProcessingRecorded | AccessRecorded | StaffCommandRefused,
        title=f"{AUDIT_EVENTS.name}:{service}-logboek",
        description=AUDIT_EVENTS.description,
    )
    return broker, reliability


def group_id(settings: ServiceSettings, service: str, handler: str) -> str:
    return f"{settings.consumer_group_prefix}.{service}.{handler}"
