"""Outages do not turn good messages into dead letters, and nothing waits without a bound
(issue 10, cases 6 and 9), on the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from services.intake.config import IntakeSettings
from services.intake.models import Case
from shared.contracts.topics import DEAD_LETTER, partner_inbox
from tests.infra import ROOT, Infra
from tests.support import PARTY, Partner, a_referral, at_least, eventually, read_topic, running_hub, settings_for

pytestmark = pytest.mark.infra


async def test_a_referral_sent_while_postgresql_restarts_is_answered_not_dead_lettered(infra: Infra, namespace: str) -> None:
    if not infra.restartable:
        pytest.skip("restarts only the project's own PostgreSQL (deploy/postgres/postgres.sh)")
    async with running_hub(infra, namespace, max_handler_attempts=3) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        await eventually(hub.cases)  # the services are up and have a pool
        await asyncio.to_thread(infra.stop_database)
        try:
            await police.submit(a_referral())
            await asyncio.sleep(8)  # an outage longer than every attempt's backoff together
        finally:
            await asyncio.to_thread(infra.start_database)
        answers = await eventually(
            lambda: at_least(lambda: read_topic(infra, partner_inbox(PARTY), namespace), 2), timeout_s=90
        )
        letters = await read_topic(infra, DEAD_LETTER, namespace)
    assert [json.loads(a.value)["status"] for a in answers] == ["received", "received"]
    assert letters == []


async def test_a_handler_waiting_for_a_lock_gives_up_in_time_and_retries(
    infra: Infra, namespace: str, capfd: pytest.CaptureFixture[str]
) -> None:
    async with running_hub(infra, namespace, lock_timeout_s=0.5) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await eventually(hub.cases)
        async with hub.intake.database.sessions() as s, s.begin():
            # Someone else holds the case's row: the Procesregisseur's accept must not hang on it.
            await s.execute(select(Case).where(Case.case_id == case.case_id).with_for_update())
            await hub.accept(case.case_id)
            await asyncio.sleep(3)
            logs_while_locked = capfd.readouterr().err
        (opened,) = await eventually(hub.triage_cases, timeout_s=30)
    retries = [json.loads(line) for line in logs_while_locked.splitlines() if '"consume.retry"' in line]
    assert any(r["consumer"] == "intake" and r["transient"] for r in retries), logs_while_locked[-2000:]
    assert opened.case_id == case.case_id


def run_intake(infra: Infra, namespace: str, **env: str) -> subprocess.Popen[bytes]:
    settings = settings_for(IntakeSettings, infra, namespace)
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run", "intake"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "ZT_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
             "DATABASE_URL": settings.database_url, "ZT_TOPIC_PREFIX": settings.topic_prefix, **env},
    )


def stopped_after(process: subprocess.Popen[bytes], seconds: float) -> str:
    time.sleep(seconds)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    return stderr.decode(errors="replace")


@pytest.mark.parametrize("unreachable", ["broker", "database"])
async def test_a_service_started_before_its_broker_or_database_waits_for_it_in_structured_lines(
    infra: Infra, namespace: str, unreachable: str
) -> None:
    password = "wrong-password-for-the-test"
    settings = settings_for(IntakeSettings, infra, namespace)
    env = (
        {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"} if unreachable == "broker"
        else {"DATABASE_URL": make_url(settings.database_url).set(password=password).render_as_string(hide_password=False)}
    )
    stderr = await asyncio.to_thread(stopped_after, run_intake(infra, namespace, **env), 6)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    waiting = [line for line in lines if line["event"] == "startup.waiting"]
    assert "Traceback" not in stderr and len(stderr.splitlines()) == len(lines), stderr[-2000:]
    assert waiting and {w["waiting_for"] for w in waiting} == {unreachable}
    assert password not in stderr and "SELECT" not in stderr and "CREATE" not in stderr


async def test_a_command_whose_connection_the_database_terminates_is_retried_not_dead_lettered(
    infra: Infra, namespace: str
) -> None:
    """SQLSTATE 57P01, what every connection gets while PostgreSQL shuts down, made on purpose:
    more times than a handler has attempts. It must not cost the command its place."""
    async with running_hub(infra, namespace, max_handler_attempts=3) as hub, Partner(infra, namespace) as police:
        await police.submit(a_referral())
        (case,) = await eventually(hub.cases)
        database = make_url(hub.intake.database.url).database
        async with hub.intake.database.sessions() as s, s.begin():
            await s.execute(select(Case).where(Case.case_id == case.case_id).with_for_update())
            await hub.accept(case.case_id)
            async with hub.triage.database.sessions() as admin:  # another database's connection: not locked
                for _ in range(5):  # each time the handler waits on the row, its backend is terminated
                    await eventually(lambda: _terminate_waiting(admin, database), timeout_s=30)
        (opened,) = await eventually(hub.triage_cases, timeout_s=60)
        letters = await read_topic(infra, DEAD_LETTER, namespace)
    assert opened.case_id == case.case_id and letters == []


async def _terminate_waiting(session, database: str) -> bool:  # type: ignore[no-untyped-def]
    terminated = (await session.execute(text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"
    ), {"db": database})).all()
    await session.commit()
    return bool(terminated)
