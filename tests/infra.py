"""Which real Kafka and PostgreSQL the tests use, in this order:

1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment;
2. testcontainers, when a Docker engine answers;
3. the project's own scripts (deploy/kafka/kafka.sh, deploy/postgres/postgres.sh), which start
   Apache Kafka from Maven Central jars and PostgreSQL from Debian's package.

Jaeger (the OTLP receiver and trace store) is provided apart, by `provide_jaeger`, only to the
tests that ask for it: building it on a fresh machine takes minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.messaging.security import KafkaAccess
from shared.security.acls import ADMIN
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Infra:
    kafka_bootstrap_servers: str
    database_url: str
    source: str
    _containers: list[Any] = field(default_factory=list)
    # The project's broker is SASL_SSL (deploy/kafka/kafka.sh); a broker someone else provides
    # (a testcontainer, or KAFKA_BOOTSTRAP_SERVERS with ZT_KAFKA_SECURITY_PROTOCOL) may be plaintext.
    kafka_security_protocol: str = "SASL_SSL"

    @property
    def secured(self) -> bool:
        return self.kafka_security_protocol == "SASL_SSL"

    def access(self, principal: str) -> KafkaAccess:
        """How `principal` reaches this broker (its password from the local secret files)."""
        settings = ServiceSettings(kafka_bootstrap_servers=self.kafka_bootstrap_servers,
                                   kafka_security_protocol=self.kafka_security_protocol)
        return settings.kafka_access(principal)

    def admin(self) -> KafkaAccess:
        """The administrator: what the tests use to watch topics, as an auditor with every right."""
        return self.access(ADMIN)

    def close(self) -> None:
        for container in self._containers:
            container.stop()

    @property
    def restartable(self) -> bool:
        """Whether the tests may stop and start the database (only the project's own one)."""
        return self.source.startswith("local scripts")

    async def drop_databases(self, prefix: str) -> None:
        """Drop every database whose name starts with `prefix` (one test's namespace, `t` and 10
        hex digits, so nothing else matches), ending what still holds a connection to it."""
        engine = create_async_engine(make_url(self.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                names = (await connection.scalars(
                    text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"), {"prefix": prefix}
                )).all()
                for name in names:  # identifiers cannot be parameters; these come from our own namespace
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    def stop_database(self) -> None:
        subprocess.run([str(ROOT / "deploy/postgres/postgres.sh"), "stop"], check=True, capture_output=True)

    def start_database(self) -> None:
        subprocess.run([str(ROOT / "deploy/postgres/postgres.sh"), "start"], check=True, capture_output=True)


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _from_testcontainers() -> Infra:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer().with_kraft().start()
    postgres = PostgresContainer("postgres:15", driver="asyncpg").start()
    return Infra(kafka.get_bootstrap_server(), postgres.get_connection_url(), "testcontainers", [kafka, postgres],
                 "PLAINTEXT")


def _from_local_scripts() -> Infra:
    subprocess.run([str(ROOT / "deploy/kafka/kafka.sh"), "start"], check=True)
    subprocess.run([str(ROOT / "deploy/postgres/postgres.sh"), "start"], check=True)
    url = subprocess.run(
        [str(ROOT / "deploy/postgres/postgres.sh"), "url"], check=True, capture_output=True, text=True
    ).stdout.strip()
    port = os.environ.get("KAFKA_PORT", "9092")
    return Infra(f"127.0.0.1:{port}", url, "local scripts (Kafka from Maven Central jars, Debian PostgreSQL)")


def provide() -> Infra:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if kafka and database:
        protocol = os.environ.get("ZT_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        return Infra(kafka, database, "environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL)", [], protocol)
    if _docker_engine_answers():
        return _from_testcontainers()
    return _from_local_scripts()


@dataclass(frozen=True)
class Jaeger:
    """A running Jaeger v2: `otlp_endpoint` is the OTLP/HTTP base URL (what
    `OTEL_EXPORTER_OTLP_ENDPOINT` holds, e.g. `http://127.0.0.1:4318`), `query_url` the base of its
    query API (e.g. `http://127.0.0.1:16686`; a trace is at `/api/traces/<32 hex>`)."""

    otlp_endpoint: str
    query_url: str
    source: str


def _jaeger_answers(query_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{query_url}/api/services", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def provide_jaeger() -> Jaeger:
    """A Jaeger that answers, in this order: one already answering on the configured ports (a
    demo's, an earlier session's), else one started by deploy/jaeger/jaeger.sh, which builds the
    binary once per machine and reuses the one it started before.

    Ports are the script's: `JAEGER_OTLP_HTTP_PORT` (4318) and `JAEGER_UI_PORT` (16686).
    """
    otlp = f"http://127.0.0.1:{os.environ.get('JAEGER_OTLP_HTTP_PORT', '4318')}"
    query = f"http://127.0.0.1:{os.environ.get('JAEGER_UI_PORT', '16686')}"
    if _jaeger_answers(query):
        return Jaeger(otlp, query, f"Jaeger already running at {query}")
    subprocess.run([str(ROOT / "deploy/jaeger/jaeger.sh"), "start"], check=True)
    return Jaeger(otlp, query, f"local script (Jaeger built from the Go module proxy) at {query}")
