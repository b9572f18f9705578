"""`zorgtafel trail` and `zorgtafel audit …`: a case's whole history, and the audit store's queries.

The trail puts in time order, for one case, every processing step (LDV records: service, activity,
status, time, trace id), every access and disclosure (NEN 7513 records) and every retention purge
with its proof (retention's ledger). It reads through the audit service's and retention's read
sides (services/audit/view.py, services/retention/view.py), never their tables, and it is itself a
look into the dossier: it is recorded before anything is shown (Bijlage 3).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from services.audit.config import AuditSettings
from services.cli_params import CASE_ID
from services.cli_retention import STAFF, as_staff, read_side

# Piped or captured output gets the whole row (trace ids are 32 characters), not a fold at 80 columns.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
audit_app = typer.Typer(help="The audit store: processing records (LDV), access records (NEN 7513).", no_args_is_help=True)
ACTIVITY_PREFIX = "urn:zorgtafel:verwerkingsactiviteit:"


def audit_typers() -> dict[str, typer.Typer]:
    return {"audit": audit_app}


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _access_text(r: dict[str, Any]) -> str:
    """An access record in words: who looked into or was given what, in which role, on what basis."""
    who = f'{r["actor_type"]} {r["actor"]} as {r["role"]}' + (f' for {r["on_behalf_of"]}' if r["on_behalf_of"] else "")
    if r.get("actor_check") not in (None, "hub", "verified"):  # a staff member's look whose signer is not proved
        who += f' (identity NOT proved: {r["actor_check"]})'
    items = f' ({", ".join(r["items"])})' if r["items"] else ""
    if r["kind"] == "disclosure":
        return f'{r["view"]}{items} disclosed to {who}, {r["authorisation"]}'
    if r["kind"] == "export":
        return f'access export{items} to {who}, {r["authorisation"]}'
    return f'{r["kind"]} of {r["view"]} by {who}, {r["authorisation"]}'


def trail_rows(audit: dict[str, Any], ledger: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One time-ordered list of a case's steps: processing records, access records and purges.

    `audit` is `services.audit.view.case_audit`'s answer, `ledger` retention's `case_ledger` (None
    when the case has no ledger yet). Each row: at (ISO 8601, UTC), kind (processing | access |
    purge), service, what (in words), outcome, trace_id, and record: the fields it was made from,
    for `--json`. A purge is one row per purge and service: its categories with their counts,
    confirmed or still open.
    """
    rows = [
        {"at": _iso_ms(r["start_time_ms"]), "kind": "processing", "service": r["service"],
         "what": f'{r["processing_activity_id"].removeprefix(ACTIVITY_PREFIX)}: {r["name"]}', "outcome": r["status"],
         "trace_id": r["trace_id"], "record": r}
        for r in audit["processing"]
    ]
    rows += [
        {"at": datetime.fromisoformat(r["occurred_at"]).astimezone(UTC).isoformat(timespec="milliseconds"),
         "kind": "access", "service": r["source"], "what": _access_text(r), "outcome": r["result"],
         "trace_id": r["trace_id"], "record": r}
        for r in audit["access"]
    ]
    purges = sorted((ledger or {}).get("purges", []), key=lambda p: (p["purge_id"] or "", p["service"]))
    for (purge_id, service), group in groupby(purges, key=lambda p: (p["purge_id"], p["service"])):
        entries = list(group)
        if purge_id is None:  # scheduled, not yet issued: no step has happened
            continue
        confirmed = all(e["state"] == "confirmed" for e in entries)
        at = max((e["confirmed_at"] or e["issued_at"]) for e in entries)
        counts = ", ".join(f'{e["category"]} {e["count"] if e["count"] is not None else "?"}' for e in entries)
        rows.append({
            "at": datetime.fromisoformat(at).astimezone(UTC).isoformat(timespec="milliseconds"), "kind": "purge",
            "service": service, "what": f'purge ({entries[0]["phase"]}, {entries[0]["policy_version"]}): {counts}',
            "outcome": "confirmed" if confirmed else "overdue" if any(e["overdue"] for e in entries) else "issued",
            "trace_id": None, "record": {"purge_id": purge_id, "entries": entries},
        })
    return sorted(rows, key=lambda r: r["at"])


def trail_of(case_id: uuid.UUID, staff_id: str) -> dict[str, Any]:
    """Record the look (kind `trail`), then read the audit store and the ledger."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.audit.view import case_audit
    from services.retention.view import case_ledger
    from shared.persistence.database import DatabaseMissingError

    async def look() -> dict[str, Any]:
        async with as_staff(staff_id) as pr:
            await pr.log_view(case_id, "trail", kind="trail")
        audit = await case_audit(case_id)
        try:
            ledger = await case_ledger(case_id)
        except (DatabaseMissingError, SQLAlchemyError, OSError):  # no retention database (yet) here: no purges
            ledger = None
        return {"case_id": str(case_id), "data_subject_id": audit["data_subject_id"], "truncated": audit["truncated"],
                "steps": trail_rows(audit, ledger)}

    return read_side(look(), "audit")  # type: ignore[no-any-return]


def trail(case_id: str = CASE_ID, by: str = STAFF, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """A case's whole history across all services, in time order (Bijlage 3; LDV; NEN 7513)."""
    found = trail_of(uuid.UUID(case_id), by)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
    else:
        print_trail(found)
    if not found["steps"]:
        console.print(f"no audit records for case {case_id} (unknown here, or not yet stored)")
        raise typer.Exit(1)


def print_trail(found: dict[str, Any]) -> None:
    """The trail (`trail_of`'s answer) as a table, one row per step."""
    table = Table(title=f"trail of case {found['case_id']} (subject {found['data_subject_id'][:12]}…)")
    for column in ("at (UTC)", "kind", "service", "what", "outcome", "trace id"):
        table.add_column(column)
    for row in found["steps"]:
        table.add_row(row["at"], row["kind"], row["service"], row["what"], row["outcome"], row["trace_id"] or "")
    console.print(table)
    if found.get("truncated"):
        console.print(f"[red]truncated:[/] more records than ZT_MAX_RESULTS ({AuditSettings().max_results}) hold for this "
                      "case; the oldest are shown. Raise ZT_MAX_RESULTS to see them all.")


@audit_app.command("activities")
def activities(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The register of processing activities in force (ZT_PROCESSING_ACTIVITIES or the shipped one)."""
    from shared.audit.activities import load_register

    register = load_register(AuditSettings().processing_activities)
    if as_json:
        typer.echo(register.model_dump_json(indent=2))
        return
    table = Table(title=f"{register.register_version}: {register.controller}")
    for column in ("id", "name", "purpose", "legal basis", "valid from"):
        table.add_column(column)
    for a in register.activities:
        table.add_row(a.id, a.name, a.purpose, a.legal_basis, a.valid_from.isoformat())
    console.print(table)


@audit_app.command("records")
def records(
    trace_id: str = typer.Option("", "--trace", help="a trace id (32 hex digits)"),
    activity: str = typer.Option("", help="a processing activity id (urn:zorgtafel:verwerkingsactiviteit:…)"),
    limit: int = typer.Option(100, min=1, help="at most this many (the service caps it too)"),
) -> None:
    """Processing records (LDV) as JSON, by --trace or --activity (the LDV read extension requires a
    filter). A case's records are its trail (`zorgtafel trail`), which records the look first."""
    from services.audit.view import NoFilterError, processing_records
    from shared.audit.activities import load_register

    if trace_id and not re.fullmatch(r"[0-9a-f]{32}", trace_id):
        raise typer.BadParameter("a trace id is 32 lower-case hex digits", param_hint="--trace")
    if activity and load_register(AuditSettings().processing_activities).get(activity) is None:
        raise typer.BadParameter("not in the register of processing activities (zorgtafel audit activities)",
                                 param_hint="--activity")
    try:
        found = read_side(processing_records(trace_id=trace_id or None, activity=activity or None, limit=limit), "audit")
    except NoFilterError as exc:
        console.print(f"{exc}: --trace or --activity")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(found, indent=2))
