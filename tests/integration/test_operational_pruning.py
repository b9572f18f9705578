"""Operational rows (inbox ids, what parties sent, purge records) go after the policy's term, on a real PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from shared.messaging.tables import messaging_tables
from shared.persistence.database import Database, new_metadata
from shared.persistence.unit_of_work import UnitOfWork
from shared.retention.categories import Category
from shared.retention.operational import prune_operational
from shared.retention.policy import load_policy
from shared.retention.records import purge_records_table
from shared.settings import ServiceSettings
from tests.infra import Infra
from tests.support import settings_for

pytestmark = pytest.mark.infra
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


async def test_inbox_rows_partner_messages_and_purge_records_older_than_the_operational_term_are_deleted(infra: Infra, namespace: str) -> None:
    policy = load_policy()
    term = timedelta(days=policy.by_age[Category.OPERATIONAL].term_days)
    metadata = new_metadata()
    tables = messaging_tables(metadata)
    inbox, sent, records = tables.inbox, tables.partner_message, purge_records_table(metadata)
    database = Database(settings_for(ServiceSettings, infra, namespace).database_url_for("probe"))
    await database.create_schema(metadata)
    try:
        old, young = NOW - term - timedelta(minutes=1), NOW - term + timedelta(minutes=1)
        async with database.sessions() as s, s.begin():
            await s.execute(insert(inbox), [
                {"consumer": "probe.inbound", "message_id": uuid.uuid4(), "processed_at": at} for at in (old, young)
            ])
            await s.execute(insert(sent), [
                {"consumer": "probe.inbound", "party": "coa-grave", "command_id": uuid.uuid4(), "fingerprint": "0" * 64,
                 "origin": "t:0:1", "answers": [], "received_at": at}
                for at in (old, young)
            ])
            await s.execute(insert(records), [
                {"purge_id": uuid.uuid4(), "case_id": uuid.uuid4(), "policy_version": "p", "phase": "afgeschaald",
                 "counts": {}, "purged_at": at}
                for at in (old, young)
            ])
        deleted = await prune_operational(lambda: UnitOfWork(database.sessions), metadata, policy, NOW)
        async with database.sessions() as s:
            left = [r.processed_at for r in (await s.execute(select(inbox))).all()]
            left += [r.received_at for r in (await s.execute(select(sent))).all()]
            left += [r.purged_at for r in (await s.execute(select(records))).all()]
    finally:
        await database.dispose()
    assert deleted == 3
    assert left == [young, young, young]
