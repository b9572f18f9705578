"""The rows scripts/bench_purge.py purges: cases with live keys, their questions scattered among
other cases', and retention's ledger of an afgeschaald phase due today; loaded with COPY into
fresh databases of the project's local PostgreSQL (or DATABASE_URL)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from services.retention.models import PENDING
from shared.contracts.envelope import utcnow
from shared.crypto import MasterKey, new_data_key, wrap_data_key
from shared.retention.categories import Category, Phase
from shared.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent

# An obviously fictional stand-in of a sealed text's size: it opens under no key and says nothing.
SEALED = json.dumps({"alg": "A256GCM", "kid": "bench-fictional", "nonce": "AAAAAAAAAAAAAAAA", "ct": "QmVuY2g" * 40})
QUESTION_COLUMNS = ("question_id", "case_id", "referrer_party", "asked_by", "question", "asked_at", "answer",
                    "answered_at")


def database_url() -> str:
    """DATABASE_URL when set (as tests/infra.py), else the project's own local PostgreSQL."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    script = str(ROOT / "deploy/postgres/postgres.sh")
    subprocess.run([script, "start"], check=True)
    return subprocess.run([script, "url"], check=True, capture_output=True, text=True).stdout.strip()


def master_key(runtime: Runtime) -> MasterKey:
    return MasterKey.from_base64(runtime.settings.master_key_id, runtime.settings.master_key.get_secret_value())


def dsn(runtime: Runtime, database: str | None = None) -> str:
    url = make_url(runtime.database.url).set(drivername="postgresql")
    return url.set(database=database or url.database).render_as_string(hide_password=False)


def questions(cases: list[uuid.UUID], rows: int) -> Iterator[tuple[Any, ...]]:
    """The same rows on every call (seeded ids), so the purge deletes what the baseline deleted. A
    case's questions lie among other cases' (they are asked over weeks): row i is case i mod n's."""
    rng, at = random.Random(7), utcnow()
    for i in range(rows):
        qid = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield qid, cases[i % len(cases)], "bench-party", "bench-intake", SEALED, at, SEALED, at


async def load_cases(conn: asyncpg.Connection, cases: list[uuid.UUID], master: MasterKey) -> None:
    """The cases, each with a live data key (wrapped as the keystore stores it), for the purge to shred."""
    now, columns = utcnow(), ("case_id", "correlation_id", "status", "referrer_party", "referrer_reference",
                              "municipality", "age_group", "urgency", "indicators", "opened_at")
    await conn.copy_records_to_table("intake_case", columns=columns, records=[
        (c, uuid.uuid4(), "accepted", "bench-party", f"bench-{i}", "gemeente-bench", "18+", "normal", "{}", now)
        for i, c in enumerate(cases)])
    await conn.copy_records_to_table("case_key", columns=("case_id", "master_key_id", "wrapped_key", "created_at"),
                                     records=[(c, master.key_id, wrap_data_key(master, new_data_key(), case_id=c), now)
                                              for c in cases])


async def load_ledger(conn: asyncpg.Connection, runtime: Runtime, cases: list[uuid.UUID]) -> list[str]:
    """What retention holds of an afgeschaald case: its row and a pending entry per category, due today."""
    now, policy, phase = utcnow(), runtime.policy, Phase.AFGESCHAALD.value
    refs = [runtime.pseudonymizer.subject_id(c) for c in cases]
    await conn.copy_records_to_table("retention_case", columns=(
        "case_id", "case_ref", "correlation_id", "last_activity_at", "phase", "phase_started_at", "involved"),
        records=[(c, ref, uuid.uuid4(), now, phase, now, "[]") for c, ref in zip(cases, refs, strict=True)])
    await conn.copy_records_to_table("purge_ledger", columns=(
        "case_ref", "service", "category", "action", "phase", "policy_version", "due_on", "state"), records=[
        (ref, "intake", cat.value, "delete", phase, policy.policy_version, policy.local_day(now), PENDING)
        for ref in refs for cat in CATEGORIES])
    return refs


async def settle(conn: asyncpg.Connection, *tables: str) -> None:
    """Both timed phases start alike: no dead rows, fresh statistics, no checkpoint pending."""
    for table in tables:
        await conn.execute(f"VACUUM ANALYZE {table}")
    with contextlib.suppress(asyncpg.PostgresError):  # CHECKPOINT needs a privileged role
        await conn.execute("CHECKPOINT")


# Deleting the questions shreds nothing unless the key goes too; the afgeschaald phase does both on one day.
CATEGORIES = (Category.QUESTIONS_ANSWERS, Category.CASE_KEYS)
