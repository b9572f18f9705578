from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import infra as infra_module
from tests.infra import Infra

INFRA_USED = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    provided = infra_module.provide()
    request.config.stash[INFRA_USED] = f"{provided.source}; kafka {provided.kafka_bootstrap_servers}"
    yield provided
    provided.close()


def pytest_terminal_summary(terminalreporter, config) -> None:  # type: ignore[no-untyped-def]
    used = config.stash.get(INFRA_USED, "none (no test needed Kafka or PostgreSQL)")
    terminalreporter.write_line(f"real infrastructure used: {used}")


@pytest.fixture
def namespace() -> str:
    """A fresh topic prefix and database name per test: tests never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"
