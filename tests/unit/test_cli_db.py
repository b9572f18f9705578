"""`zorgtafel db` on the embedded SQLite default (issue 14): each service's database is brought to
its newest migration, and `current` says where each stands."""

from pathlib import Path

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
