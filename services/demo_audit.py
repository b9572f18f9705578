"""The demo's last word: the first case's trail from the audit store, and its trace in Jaeger."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from rich.console import Console

from services.audit.config import AuditSettings
from services.audit.view import case_audit
from services.cli_audit import print_trail, trail_rows
from services.cli_trace import fetch, show_trace, trace_url
from services.intake.config import IntakeSettings
from services.procesregisseur import Procesregisseur
from services.retention.config import RetentionSettings
from services.retention.view import case_ledger
from shared.runtime import Runtime
from shared.telemetry.processing import Activity

DEMO_STAFF = "pr-demo"  # the demo's Procesregisseur, enrolled by the demo itself
PURGING_SERVICES = 3  # intake, triage and casemeeting each record their purge
PURGES = (Activity.SCHONING, Activity.VERWIJDERING)


async def show_audit(settings: IntakeSettings, runtimes: list[Runtime], case_id: uuid.UUID, console: Console) -> bool:
    """Print the case's trail (logged as a look, Bijlage 3) and, when traces go to Jaeger, the
    URL and waterfall of the case's trace. False when the audit store lacks the purge records."""
    audit_settings = AuditSettings()
    audit = await _wait_for_purge_records(case_id, audit_settings)
    async with Procesregisseur(settings, DEMO_STAFF) as pr:
        await pr.log_view(case_id, "trail", kind="trail")
    ledger = await case_ledger(case_id, RetentionSettings())
    found = {"case_id": str(case_id), "data_subject_id": audit["data_subject_id"], "steps": trail_rows(audit, ledger)}
    print_trail(found)
    console.print(f"  again, later: zorgtafel trail {case_id} --by <staff-id> (with the DATABASE_URL above)")
    purged = [r for r in audit["processing"] if r["processing_activity_id"] in PURGES]
    first = next((r for r in audit["processing"] if r["processing_activity_id"] == Activity.AANMELDING), None)
    if first is None or not settings.otlp_endpoint and not settings.otlp_traces_endpoint:
        console.print("  traces: set OTEL_EXPORTER_OTLP_ENDPOINT (scripts/demo starts Jaeger and does) to see them")
        return len(purged) >= PURGING_SERVICES
    for runtime in runtimes:
        runtime.tracer_provider.force_flush()
    await _wait_for_trace(first["trace_id"])
    console.print(f"[bold]the case's trace[/] (partner -> intake -> triage -> Casusoverleg): {trace_url(first['trace_id'])}")
    show_trace(first["trace_id"])
    console.print(f"  again, later: zorgtafel trace {first['trace_id']}")
    return len(purged) >= PURGING_SERVICES


async def _wait_for_purge_records(case_id: uuid.UUID, settings: AuditSettings, timeout_s: float = 60) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        audit = await case_audit(case_id, settings)
        purged = [r for r in audit["processing"] if r["processing_activity_id"] in PURGES]
        if len(purged) >= PURGING_SERVICES or asyncio.get_running_loop().time() > deadline:
            return audit
        await asyncio.sleep(0.5)


async def _wait_for_trace(trace_id: str, timeout_s: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            if await asyncio.to_thread(fetch, trace_id):
                return
        except OSError:
            return  # no viewer: show_trace says so
        await asyncio.sleep(0.5)
