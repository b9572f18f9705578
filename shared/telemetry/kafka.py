"""FastStream's Kafka telemetry, with only opaque identifiers in span attributes.

FastStream copies the Kafka key, the message id and the correlation id into span attributes.
The key is left out altogether: on the hub's topics it is a case id, and spans share their trace
ids with the audit store, which knows a case only by its pseudonym (docs/decisions/0008): a trace
viewer must not be the table that joins the two. A partner system may set any message id or
correlation id on its inbound topic, so anything that is not a UUID is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.opentelemetry.middleware import BaseTelemetryMiddleware, TelemetryMiddleware
from opentelemetry.semconv.trace import SpanAttributes
from opentelemetry.trace import TracerProvider

# Set by the outbox relay while it publishes: its own span already records the publish and carries
# the trace, so FastStream's two producer spans per record (a third of a referral's spans) are left out.
RELAYING: ContextVar[bool] = ContextVar("zorgtafel_relaying", default=False)

_IDENTIFYING = (
    SpanAttributes.MESSAGING_MESSAGE_ID,
    SpanAttributes.MESSAGING_MESSAGE_CONVERSATION_ID,
)
REDACTED = "<not-opaque>"


def is_opaque_id(value: Any) -> bool:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def only_opaque(attrs: dict[str, Any]) -> dict[str, Any]:
    attrs.pop(SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY, None)
    for name in _IDENTIFYING:
        if name in attrs and attrs[name] is not None and not is_opaque_id(attrs[name]):
            attrs[name] = REDACTED
    return attrs


class _OpaqueIdsProvider(KafkaTelemetrySettingsProvider):
    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        return only_opaque(super().get_consume_attrs_from_message(msg))

    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        return only_opaque(super().get_publish_attrs_from_cmd(cmd))


class _OpaqueIdsBatchProvider(BatchKafkaTelemetrySettingsProvider):
    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        return only_opaque(super().get_consume_attrs_from_message(msg))

    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        return only_opaque(super().get_publish_attrs_from_cmd(cmd))


def _provider_factory(msg: Any) -> KafkaTelemetrySettingsProvider | BatchKafkaTelemetrySettingsProvider:
    if isinstance(msg, Sequence):
        return _OpaqueIdsBatchProvider()
    return _OpaqueIdsProvider()


class HubKafkaTelemetryMiddleware(TelemetryMiddleware[Any]):
    """Drop-in for `KafkaTelemetryMiddleware` that keeps identifying values out of spans."""

    def __init__(self, *, tracer_provider: TracerProvider) -> None:
        super().__init__(
            settings_provider_factory=_provider_factory,
            tracer_provider=tracer_provider,
            include_messages_counters=True,
        )

    def __call__(self, msg: Any | None, /, *, context: Any) -> BaseTelemetryMiddleware[Any]:
        return _HubTelemetry(
            msg, tracer=self._tracer, metrics_container=self._metrics,
            settings_provider_factory=self._settings_provider_factory, context=context,
        )


class _HubTelemetry(BaseTelemetryMiddleware[Any]):
    async def publish_scope(self, call_next: Any, msg: Any) -> Any:
        if RELAYING.get():  # the relay's span is the publish's (shared/messaging/outbox.py)
            return await call_next(msg)
        return await super().publish_scope(call_next, msg)
