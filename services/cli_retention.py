"""`zorgtafel retention …` and `zorgtafel report …`: the people who run the hub look at the policy
in force, the state of purges and a case's ledger, decide erasure requests (Bijlage 3), and make
the yearly report (art. 11.3d). Reads go through retention's read side (services/retention/view.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.cli_params import CASE_ID
from services.cli_staff_command import Build, staff_command
from services.retention.config import RetentionSettings

console = Console(soft_wrap=True)
retention_app = typer.Typer(help="Retention: the policy, purges, the ledger, erasure (art. 1.2, Bijlage 3).", no_args_is_help=True)
report_app = typer.Typer(help="Reports of the Zorgtafel (art. 11.3d).", no_args_is_help=True)
def staff_id(text: str) -> str:
    """Typer callback: a pseudonymous staff id (lower case, digits, `-`, `.`, `:`), never a name;
    a bad one is a usage error that does not repeat what was typed (it may be a name)."""
    from shared.contracts.staff import STAFF_ID

    if not re.fullmatch(STAFF_ID, text) or len(text) > 64:
        raise typer.BadParameter("a staff id is lower case letters and digits, joined by '-', '.' or ':', e.g. pr-01 (never a name)")
    return text


STAFF = typer.Option(..., "--by", callback=staff_id, help="Your pseudonymous staff id, e.g. pr-01 (never a name)")


def as_staff(staff_id: str) -> Any:
    """The staff tools (a Procesregisseur) acting as `staff_id`, whose key must be on this machine;
    without it, a usage error that says how to enrol instead of a traceback."""
    from services.intake.config import IntakeSettings
    from services.procesregisseur import Procesregisseur
    from shared.security.staff_register import StaffKeyError

    try:
        return Procesregisseur(IntakeSettings(), staff_id)
    except StaffKeyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
DECISIONS = ("granted", "legal_duty_to_keep", "safety", "ongoing_complaint")


def retention_typers() -> dict[str, typer.Typer]:
    return {"retention": retention_app, "report": report_app}




def read_side(read: Any, service: str = "retention") -> Any:
    """Run `read` of `service`'s database, found from the same settings as the service finds it.
    A database that is not there (the service never ran with these settings) or cannot be read is
    one line naming the setting, exit 1: never a traceback or SQL, and nothing is created."""
    from sqlalchemy.exc import DBAPIError

    from shared.persistence.database import DatabaseMissingError, place_of, sqlstate

    settings = RetentionSettings()
    # The local SQLite files follow ZT_STATE_DIR unless DATABASE_URL says otherwise.
    setting = "DATABASE_URL" if "database_url" in settings.model_fields_set else "ZT_STATE_DIR"
    advice = f"set {setting}{' (or DATABASE_URL)' if setting == 'ZT_STATE_DIR' else ''} as the services have it"
    try:
        return asyncio.run(read)
    except DatabaseMissingError as exc:
        said = f"no {service} database at {exc.place}: {service} has not run with this {setting}; {advice}"
    except (DBAPIError, OSError) as exc:
        code = sqlstate(exc)
        cause = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__ + (f", SQLSTATE {code}" if code else "")
        said = f"cannot read the {service} database at {place_of(settings.database_url_for(service))} ({cause}); {advice}"
    console.print(said, markup=False, highlight=False)
    raise typer.Exit(1)


@retention_app.command("policies")
def policies(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The retention policy in force (ZT_RETENTION_POLICY, or the shipped one): term and action per
    phase and category."""
    from services.retention.view import policy_rows
    from shared.retention.policy import load_policy

    policy = load_policy(RetentionSettings().retention_policy)
    rows = policy_rows(policy)
    if as_json:
        typer.echo(json.dumps({"policy_version": policy.policy_version, "timezone": policy.timezone, "rules": rows}, indent=2))
        return
    table = Table(title=f"policy {policy.policy_version} ({policy.timezone}); --json adds each term's why")
    for column in ("phase", "category", "term (days)", "action"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["phase"], r["category"], str(r["term_days"]), r["action"])
    console.print(table)


@retention_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per service: purges scheduled, due, issued, overdue and done."""
    from services.retention.view import purge_status

    state = read_side(purge_status(RetentionSettings()))
    if as_json:
        typer.echo(json.dumps(state, indent=2))
        return
    # Counted per ledger entry: one category of one case in one service.
    table = Table("service", "scheduled", "due", "issued", "overdue", "done", title=f"purges (per category and case), today {state['today']}")
    for service, counts in state["services"].items():
        table.add_row(service, *(str(counts[k]) for k in ("scheduled", "due", "issued", "overdue", "done")))
    console.print(table)


@retention_app.command("ledger")
def ledger(case_id: str = CASE_ID, by: str = STAFF) -> None:
    """The purge ledger of one case: what was due when, and each service's confirmation."""
    from services.cli_staff import _show
    from services.retention.view import case_ledger

    _show(by, case_id, "retention-ledger", case_ledger, "no ledger entries for this case", "retention")


@staff_command(retention_app, "erase")
def erase(
    case_id: str = CASE_ID,
    reason: str = typer.Option(..., help=f"the decision on the person's request: {', '.join(DECISIONS)}"),
    by: str = STAFF,
) -> Build:
    """Decide the person's erasure request (Bijlage 3): `granted` purges everything through the
    same path as any purge; a refusal names the covenant's reason and is kept in the ledger."""
    if reason not in DECISIONS:
        console.print(f"--reason must be one of: {', '.join(DECISIONS)}")
        raise typer.Exit(2)
    refused_for: Any = None if reason == "granted" else reason
    return lambda pr: pr.erasure(uuid.UUID(case_id), refused_for)


@staff_command(retention_app, "export")
def export(case_id: str = CASE_ID, for_party: str = typer.Option(..., "--for", help="the party that receives it"), by: str = STAFF) -> Build:
    """The person asks to see their data (Bijlage 3): every service sends its part to the party's
    inbox, sealed for that party; the ledger records the request and each part sent."""
    return lambda pr: pr.access_export(uuid.UUID(case_id), for_party)


@retention_app.command("progress")
def progress(timeout: float = typer.Option(600.0, help="seconds to wait at most")) -> None:
    """Follow a purge run: a progress bar of purges done until none is due or waiting."""
    from services.retention.view import purge_status

    settings = RetentionSettings()
    deadline = time.monotonic() + timeout
    with Progress(TextColumn("purges"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("purges", total=None)
        while True:
            counts = read_side(purge_status(settings))["services"].values()
            done = sum(c["done"] for c in counts)
            open_ = sum(c["due"] + c["issued"] + c["overdue"] for c in counts)
            bar.update(task, total=done + open_, completed=done)
            if open_ == 0 or time.monotonic() > deadline:
                break
            time.sleep(1.0)
    if open_:
        console.print(f"{open_} purges still open")
        raise typer.Exit(1)


@report_app.command("yearly")
def yearly(year: int = typer.Option(..., help="YYYY"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Art. 11.3d: cases referred, handled, afgeschaald, escalated and declined, per quarter and
    per referring sector. Counts only."""
    from services.retention.report import MEASURES
    from services.retention.view import yearly_report

    report = read_side(yearly_report(year, RetentionSettings()))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for title, rows in (("quarter", report["per_quarter"]), ("referring sector", report["per_sector"])):
        table = Table(title, *MEASURES, title=f"Zorgtafel {year}, per {title}")
        for name, counts in {**rows, "total": report["totals"]}.items():  # type: ignore[dict-item]
            table.add_row(name, *(str(counts[m]) for m in MEASURES))
        console.print(table)
