"""The CLI's show and list commands read each service's database where the service keeps it, from
the same settings, wherever they run (issue 14: the SQLite default was relative to the working
folder, so a command run elsewhere read, and created, an empty database of its own). A database
that is not there is one line naming the setting to change: nothing is created."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.audit.models import ProcessingRecord
from services.catalog import Service, service_database
from services.cli import app
from shared.persistence.migrate import upgrade

TRACE = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded default, whatever the shell running the tests has set."""
    for name in ("DATABASE_URL", "ZT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


async def audit_database_with_one_record(state: Path) -> None:
    """The audit service's database as its start makes it, under `state`, with one LDV record of TRACE."""
    target = service_database(Service.audit, state_dir=str(state))
    try:
        await upgrade(target.database, target.metadata, Service.audit.value)
        async with target.database.sessions() as session:
            session.add(ProcessingRecord(
                record_id=uuid.uuid4(), trace_id=TRACE, span_id="b7ad6b7169203331", parent_span_id=None,
                name="intake", status="OK", start_time_ms=1, end_time_ms=2, service="intake",
                processing_activity_id="urn:zorgtafel:verwerkingsactiviteit:intake", data_subject_id=None,
                data_subject_id_type=None, stored_at=datetime.now(UTC),
            ))
            await session.commit()
    finally:
        await target.database.dispose()


def test_a_show_command_run_from_another_folder_reads_the_database_the_service_uses(tmp_path: Path) -> None:
    state, elsewhere = tmp_path / "state", tmp_path / "elsewhere"
    elsewhere.mkdir()
    asyncio.run(audit_database_with_one_record(state))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZT_DATABASE_URL")} | {"ZT_STATE_DIR": str(state)}
    done = subprocess.run([sys.executable, "-m", "services.cli", "audit", "records", "--trace", TRACE],
                          cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [r["trace_id"] for r in json.loads(done.stdout)] == [TRACE]
    assert list(elsewhere.iterdir()) == []  # no database of its own in the folder it ran in


def test_the_sqlite_files_of_a_local_run_follow_the_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    assert CliRunner().invoke(app, ["db", "upgrade", "audit"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zorgtafel-audit.db"]


def test_a_missing_database_is_one_line_naming_zt_state_dir_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "never-ran-here"
    monkeypatch.setenv("ZT_STATE_DIR", str(state))
    result = CliRunner().invoke(app, ["retention", "status"], env={"COLUMNS": "80"})
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"no retention database at {state / 'zorgtafel-retention.db'}: retention has not run with this ZT_STATE_DIR; "
        "set ZT_STATE_DIR (or DATABASE_URL) as the services have it"
    ]
    assert not state.exists()


def test_a_missing_database_named_by_database_url_says_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/elsewhere.db")
    result = CliRunner().invoke(app, ["audit", "records", "--trace", TRACE])
    assert result.exit_code == 1
    assert "has not run with this DATABASE_URL" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
