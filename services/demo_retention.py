"""The end of the demo: retention purges the first case after its afschaling, and shows the proof."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from rich.console import Console

from services.retention.config import RetentionSettings
from services.retention.view import case_ledger
from shared.runtime import Runtime


def demo_retention_settings() -> RetentionSettings:
    """Retention as deployed, but scanning for due purges every 2 s instead of every minute."""
    return RetentionSettings(purge_scan_interval_s=2.0)


async def wait_for_purge(retention: Runtime, case_id: uuid.UUID, timeout_s: float = 60) -> dict[str, Any] | None:
    """Art. 1.2: after afschaling retention has each service cleanse the case. The case's ledger
    once every purge due today is confirmed, or None when that took longer than `timeout_s`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        ledger = await case_ledger(case_id, retention.settings)  # type: ignore[arg-type]
        due_now = [p for p in (ledger or {}).get("purges", []) if p["category"] != "case_record"]
        if due_now and all(p["state"] == "confirmed" for p in due_now):
            return ledger
        if asyncio.get_running_loop().time() > deadline:
            return None
        await asyncio.sleep(0.5)


def print_purge(case_id: uuid.UUID, ledger: dict[str, Any] | None, console: Console) -> None:
    """The proof, printed last: per service what it confirmed, and what is still to come."""
    if ledger is None:
        console.print(f"[red]retention did not confirm the purge of case {case_id} in time[/]")
        return
    console.print(f"[bold]retention purged case {case_id} after its afschaling[/] (ledger reference {ledger['case_ref'][:16]}…)")
    for service in ("intake", "triage", "casemeeting"):
        rows = [p for p in ledger["purges"] if p["service"] == service and p["state"] == "confirmed"]
        counts = ", ".join(f"{p['category']} {p['count']}" for p in rows)
        console.print(f"  {service} confirmed at {rows[0]['confirmed_at'][:19]}Z: {counts}")
    later = [p for p in ledger["purges"] if p["category"] == "case_record"]
    console.print(
        f"  case keys destroyed: every copy sealed under them, on Kafka too, no longer opens; the bare case record "
        f"goes on {later[0]['due_on']} (policy {later[0]['policy_version']})"
    )
    console.print(f"  the whole ledger: zorgtafel retention ledger {case_id} --by <staff-id> (with the DATABASE_URL above)")
