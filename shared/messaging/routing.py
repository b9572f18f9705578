"""Routing by message type within one topic.

A topic carries several message types. A consumer handles the types it knows; an event of a type
it does not know is skipped (events evolve additively), while a command of an unknown type is a
bad message (dead-lettered), because someone asked for something nobody will do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaMessage
from faststream.message import StreamMessage

from shared.contracts.topics import party_of_inbound_topic
from shared.messaging.reliability import PoisonMessageError


def message_type_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    value = body.get("event_type", body.get("command_type"))
    return value if isinstance(value, str) else None


def of_type(message_type: str) -> Callable[[StreamMessage[Any]], Awaitable[bool]]:
    """FastStream filter: true when the message declares `message_type`."""

    async def matches(msg: StreamMessage[Any]) -> bool:
        return message_type_of(await msg.decode()) == message_type

    return matches


async def strict_decoder(msg: StreamMessage[Any], original: Callable[[StreamMessage[Any]], Awaitable[Any]]) -> Any:
    """Every hub subscriber's decoder: what the JSON parser refuses is undecodable, a PERMANENT
    error, whatever the parser raised for it (JSONDecodeError, UnicodeDecodeError, the ValueError
    of a number with thousands of digits, the RecursionError of deep nesting): never retried."""
    try:
        return await original(msg)
    except (ValueError, RecursionError) as exc:
        raise PoisonMessageError("undecodable", type(exc).__name__) from None


async def lenient_decoder(msg: StreamMessage[Any], original: Callable[[StreamMessage[Any]], Awaitable[Any]]) -> Any:
    """For a consumer that shares a topic it does not own: what it cannot decode is the owner's
    to dead-letter (on inbound topics, intake's), so it reads as None and is skipped; one message,
    one dead letter."""
    try:
        return await strict_decoder(msg, original)
    except PoisonMessageError:
        return None


async def reject_unknown_command(msg: KafkaMessage) -> None:
    """Fallback handler on command topics."""
    body = await msg.decode()
    if not isinstance(body, dict):
        raise PoisonMessageError("undecodable", "body is not a JSON object")
    # The type string comes from outside: only say whether it was there, not what it was.
    raise PoisonMessageError("unknown-message-type", "type missing" if message_type_of(body) is None else "type unknown")


async def skip_unknown_event(msg: KafkaMessage) -> None:
    """Fallback handler on event topics: a newer producer's event type is not an error."""
    body = await msg.decode()
    if not isinstance(body, dict):
        raise PoisonMessageError("undecodable", "body is not a JSON object")


def inbound_sender(msg: KafkaMessage, topic_prefix: str) -> tuple[str, tuple[str, int, int]]:
    """The party that owns the inbound topic a message came from, and where it was read."""
    return sender_of(msg.raw_message, topic_prefix)


def sender_of(record: Any, topic_prefix: str) -> tuple[str, tuple[str, int, int]]:
    """The party that owns the inbound topic of an aiokafka record, and where it was read.
    Raises PoisonMessageError for a record from a topic that is no party's inbound topic."""
    party = party_of_inbound_topic(record.topic, topic_prefix)
    if party is None:
        raise PoisonMessageError("not-an-inbound-topic")
    return party, (record.topic, record.partition, record.offset)
