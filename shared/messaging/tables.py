"""The outbox and inbox tables every service keeps in its own database, and what it remembers of
each party's messages (to answer a repeat with the earlier answer, issue 12)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Uuid

from shared.persistence.types import UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER keys


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    partner_message: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """The service's outbox and inbox; defined once per MetaData, however often a runtime is built."""
    if "outbox" in metadata.tables:
        return MessagingTables(
            outbox=metadata.tables["outbox"], inbox=metadata.tables["inbox"], partner_message=metadata.tables["partner_message"]
        )
    outbox = Table(
        "outbox",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("message_id", Uuid, nullable=False, unique=True),
        Column("topic", String(249), nullable=False),
        # Always an opaque case id (or None); never anything that maps to a person.
        Column("key", String(64), nullable=True),
        Column("payload", LargeBinary, nullable=False),
        # W3C trace context and content type, captured when the event was staged.
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        # Set when the row can never be published (e.g. larger than Kafka takes): it is kept for
        # operations, counted and alerted, and no longer blocks the rows behind it.
        Column("parked_at", UTCDateTime, nullable=True),
        Column("park_reason", String(64), nullable=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("message_id", Uuid, primary_key=True),
        Column("processed_at", UTCDateTime, nullable=False),
    )
    partner_message = Table(
        "partner_message",
        metadata,
        # A party's command id is its own: two parties may use the same one (issue 12, case 2).
        Column("consumer", String(200), primary_key=True),
        Column("party", String(100), primary_key=True),
        Column("command_id", Uuid, primary_key=True),
        # SHA-256 of the message's canonical JSON: the same id with other content is a conflict.
        Column("fingerprint", String(64), nullable=False),
        # Where it was read ("topic:partition:offset"): the same record again is a redelivery.
        Column("origin", String(300), nullable=False),
        # What the hub answered on the party's inbox (acknowledgements, rejections: no personal
        # data), to answer an exact repeat the same way.
        Column("answers", JSON, nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, partner_message=partner_message)
