"""A local run's SQLite files hold the services' dossiers (issue 14: they were 0644, readable by
every user of the machine): the owner's alone."""

import asyncio
import stat
from pathlib import Path

from shared.persistence.database import ensure_database_exists


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "zorgtafel-intake.db"
    asyncio.run(ensure_database_exists(f"sqlite+aiosqlite:///{path}"))
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


def test_an_existing_sqlite_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "zorgtafel-triage.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    asyncio.run(ensure_database_exists(f"sqlite+aiosqlite:///{path}"))
    assert mode(path) == 0o600
