"""`zorgtafel db` on the embedded SQLite default (issue 14): each service's database is brought to
its newest migration, and `current` says where each stands; they need the services' settings and models only, not their
runtimes (no tracing, no broker)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.catalog import Service
from services.cli import app
from shared.persistence.migrate import head_of


@pytest.fixture
def local_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/zorgtafel.db")
    return tmp_path


def test_db_upgrade_migrates_every_service_and_a_second_run_changes_nothing(local_database: Path) -> None:
    first = CliRunner().invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert [line.split(":")[0] for line in first.stdout.splitlines()] == [s.value for s in Service]
    assert all("empty -> " in line for line in first.stdout.splitlines())
    again = CliRunner().invoke(app, ["db", "upgrade", "triage"])
    assert again.exit_code == 0 and again.stdout.strip() == f"triage: up to date (revision {head_of('triage')})"
    assert sorted(p.name for p in local_database.glob("*.db")) == sorted(f"zorgtafel-{s.value}.db" for s in Service)


def test_db_current_tells_an_empty_database_from_a_migrated_one(local_database: Path) -> None:
    assert CliRunner().invoke(app, ["db", "upgrade", "audit"]).exit_code == 0
    result = CliRunner().invoke(app, ["db", "current", "audit", "intake"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.stdout.splitlines() if line.count("│") == 4}
    assert rows == {"audit": head_of("audit"), "intake": "empty"}
    assert not (local_database / "zorgtafel-intake.db").exists()  # looking made no database


def fresh_interpreter(code: str) -> Any:
    """What `code` prints last (JSON), run in an interpreter that has loaded nothing of the hub yet."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("service", list(Service))
def test_a_services_models_declare_every_table_its_runtime_uses(service: Service) -> None:
    declared, used = fresh_interpreter(f"""
import json
from services.catalog import Service, service_database, service_module, service_settings
service = Service("{service.value}")
declared = sorted(service_database(service).metadata.tables)
runtime = service_module(service).create_runtime(service_settings(service, kafka_security_protocol="PLAINTEXT"))
print(json.dumps([declared, sorted(runtime.metadata.tables)]))
""")
    assert declared == used


def test_a_database_tool_builds_no_tracing_and_no_broker() -> None:
    loaded = fresh_interpreter("""
import json, sys
from services.catalog import Service, service_database
for service in Service:
    service_database(service)
print(json.dumps([m for m in sys.modules if m.split(".")[0] in ("faststream", "aiokafka") or m.startswith("opentelemetry.sdk")]))
""")
    assert loaded == []


def test_every_service_has_its_migrations_folder() -> None:
    services = Path(__file__).resolve().parents[2] / "services"
    assert sorted(p.parent.parent.name for p in services.glob("*/migrations/0001_baseline.py")) == sorted(
        s.value for s in Service
    )


def test_db_revision_without_a_model_change_writes_no_migration() -> None:
    folder = Path(__file__).resolve().parents[2] / "services" / "triage" / "migrations"
    before = sorted(p.name for p in folder.glob("*.py"))
    result = CliRunner().invoke(app, ["db", "revision", "triage", "-m", "nothing changed"])
    assert result.exit_code == 1 and "nothing to write" in result.stdout
    assert sorted(p.name for p in folder.glob("*.py")) == before
