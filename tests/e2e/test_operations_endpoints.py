"""Each service's health and metrics endpoints on the real broker and PostgreSQL (issue 14,
deliverable 2): live while it waits for its parts, ready only when they answer, and metrics that
count what happened without ever naming a case."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from services.intake.app import create_runtime as create_intake
from services.intake.config import IntakeSettings
from shared.contracts.envelope import utcnow
from shared.runtime import Runtime
from tests.infra import Infra
from tests.support import Partner, a_referral, eventually, raw_send, running_hub, settings_for

pytestmark = pytest.mark.infra


def get(runtime: Runtime, path: str) -> tuple[int, str]:
    """GET a path of the runtime's operations endpoint: (status, body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{runtime.operations.port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


async def fetch(runtime: Runtime, path: str) -> tuple[int, str]:
    return await asyncio.to_thread(get, runtime, path)


def sample(metrics: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text, matched on the labels given."""
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_a_running_service_is_live_and_ready_with_every_check_ok(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub:
        live = await fetch(hub.intake, "/health/live")
        ready = await eventually(lambda: _ready(hub.triage))
    assert live == (200, '{"live":true}')
    assert ready["checks"] == {"started": "ok", "database": "ok", "broker": "ok", "consumers": "ok", "outbox": "ok"}


async def _ready(runtime: Runtime) -> dict[str, object] | None:
    status, body = await fetch(runtime, "/health/ready")
    return json.loads(body) if status == 200 else None


async def test_a_service_waiting_for_its_database_is_live_but_not_ready(infra: Infra, namespace: str) -> None:
    # A PostgreSQL that is not there: the service waits for it (shared/runtime.py), and says so.
    settings = settings_for(IntakeSettings, infra, namespace, database_url="postgresql+asyncpg://zt:zt@127.0.0.1:9/none")
    runtime = create_intake(settings)
    starting = asyncio.create_task(runtime.app().run())
    try:
        await eventually(lambda: _port(runtime))
        live, (status, body) = await fetch(runtime, "/health/live"), await fetch(runtime, "/health/ready")
    finally:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    assert live[0] == 200
    assert status == 503 and '"database": "unreachable"' in body and '"started": "starting"' in body


async def _port(runtime: Runtime) -> int | None:
    return runtime.operations.port


async def test_an_outbox_row_waiting_too_long_makes_the_service_unready(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, outbox_relay_enabled=False, outbox_stuck_after_s=60) as hub:
        await eventually(lambda: _ready(hub.intake))
        async with hub.intake.unit_of_work() as uow:
            await uow.session.execute(insert(hub.intake.tables.outbox).values(
                message_id=uuid.uuid4(), topic="t", key=None, payload=b"{}", headers={},
                created_at=utcnow() - timedelta(minutes=5),
            ))
            await uow.commit()
        status, body = await fetch(hub.intake, "/health/ready")
        _, metrics = await fetch(hub.intake, "/metrics")
    assert status == 503 and '"outbox": "stuck"' in body
    assert sample(metrics, "zorgtafel_outbox_rows", service="intake") == 1
    assert (sample(metrics, "zorgtafel_outbox_oldest_age_seconds", service="intake") or 0) >= 300


async def test_metrics_count_each_handlers_messages_and_dead_letters_and_never_name_a_case(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral())
        await raw_send(infra, partner.topic, b"{ not json")
        (case,) = await eventually(hub.cases)

        async def counted() -> str | None:
            _, text = await fetch(hub.intake, "/metrics")
            return text if sample(text, "zorgtafel_dead_letters_total", service="intake") else None

        metrics = await eventually(counted)
    inbound = partner.topic
    assert sample(metrics, "faststream_received_processed_messages_total", handler=inbound, status="acked") is not None
    assert sample(metrics, "zorgtafel_dead_letters_total", consumer="intake", reason="undecodable") == 1
    assert sample(metrics, "zorgtafel_consumer_lag", topic=inbound) is not None
    assert "faststream_received_processed_messages_duration_seconds_bucket" in metrics
    assert str(case.case_id) not in metrics and case.case_id.hex not in metrics
