"""Which real Kafka and PostgreSQL the tests use, in this order:

1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment;
2. testcontainers, when a Docker engine answers;
3. the project's own scripts (deploy/kafka/kafka.sh, deploy/postgres/postgres.sh), which start
   Apache Kafka from Maven Central jars and PostgreSQL from Debian's package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Infra:
    kafka_bootstrap_servers: str
    database_url: str
    source: str
    _containers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for container in self._containers:
            container.stop()


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
    return Infra(kafka.get_bootstrap_server(), postgres.get_connection_url(), "testcontainers", [kafka, postgres])


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
        return Infra(kafka, database, "environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL)")
    if _docker_engine_answers():
        return _from_testcontainers()
    return _from_local_scripts()
