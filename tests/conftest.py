from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import infra as infra_module
from tests.infra import Infra


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    provided = infra_module.provide()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = f"real infrastructure: {provided.source}; kafka={provided.kafka_bootstrap_servers}"
    if reporter is not None:
        reporter.write_line(line)
    print(line)
    yield provided
    provided.close()


@pytest.fixture
def namespace() -> str:
    """A fresh topic prefix and database name per test: tests never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"
