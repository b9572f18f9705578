"""Fixtures of the integration tier (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.messaging.tables import MessagingTables, messaging_tables
from shared.persistence.database import Database, new_metadata
from shared.settings import ServiceSettings
from tests.infra import Infra
from tests.support import settings_for


@pytest.fixture
async def store(infra: Infra, namespace: str) -> AsyncIterator[tuple[Database, MessagingTables]]:
    metadata = new_metadata()
    tables = messaging_tables(metadata)
    database = Database(settings_for(ServiceSettings, infra, namespace).database_url_for("probe"))
    await database.create_schema(metadata)
    yield database, tables
    await database.dispose()
