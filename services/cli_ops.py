"""`zorgtafel ops`: what an operations engineer asks of a running hub (issue 14, deliverable 3).

`status` (each service: up, checks, lag, outbox, dead letters), `lag` (per consumer group and
partition), `dlq list|show|replay`. Reads go as the operations principal, which describes topics
and groups and reads only the dead-letter topic; a replay writes, so it goes as the administrator
and is audited. No command prints a message's content (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.cli_ops_broker import on_the_broker, ops_settings
from services.cli_ops_dlq import dlq_typer

console = Console(soft_wrap=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Url = Annotated[
    list[str] | None,
    typer.Option("--url", help="A service's address, as service=http://host:port (default: its local port).",
                 show_default=False),
]


def ops_typers() -> dict[str, typer.Typer]:
    ops = typer.Typer(help="Operations: service status, consumer lag, dead letters.", no_args_is_help=True)
    ops.command("status")(status)
    ops.command("lag")(lag)
    ops.add_typer(dlq_typer(), name="dlq")
    return {"ops": ops}


def _urls(given: list[str] | None, services: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for item in given or ():
        service, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"expected service=http://host:port, got {item!r}", param_hint="--url")
        if service not in services:
            raise typer.BadParameter(f"{service!r} is not a service ({', '.join(services)})", param_hint="--url")
        urls[service] = url.rstrip("/")
    return urls


def status(url: Url = None, as_json: JsonOption = False) -> None:
    """Each service: ready or not (and which check fails), consumer lag, outbox, dead letters.
    Exits 1 when a service is not ready."""
    from services.catalog import Service
    from services.ops_status import hub_status

    services = [s.value for s in Service]
    hub = asyncio.run(hub_status(ops_settings(), services, _urls(url, services)))
    if as_json:
        print(json.dumps({"services": [vars(s) for s in hub.services], "broker_error": hub.broker_error}, indent=2))
    else:
        console.print(status_table(hub))
        if hub.broker_error:
            console.print(f"[red]broker not readable as the operations principal ({hub.broker_error}): lag and dead letters unknown[/]")
    if not hub.all_ready:
        raise typer.Exit(1)


def status_table(hub: Any) -> Table:
    """The status of every service as a table (also printed at the end of the demo)."""
    table = Table(title="zorgtafel ops status")
    for column in ("service", "state", "failing checks", "lag", "outbox waiting", "oldest (s)", "dead letters"):
        table.add_column(column, no_wrap=column in ("service", "state"), overflow="fold")
    colour = {"ready": "green", "unready": "yellow", "down": "red"}
    for s in hub.services:
        outbox = s.outbox or {}
        oldest = outbox.get("oldest_age_s")
        table.add_row(
            s.service, f"[{colour[s.state]}]{s.state}[/]",
            "no answer at " + s.url if s.state == "down" else ", ".join(f"{k}: {v}" for k, v in s.failing.items()) or "-",
            _or_unknown(s.lag), _or_unknown(outbox.get("waiting")), "-" if oldest is None else f"{oldest:.1f}",
            _or_unknown(s.dead_letters),
        )
    return table


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)


def lag(as_json: JsonOption = False, only_behind: Annotated[bool, typer.Option("--behind", help="Only partitions with lag.")] = False) -> None:
    """Each hub consumer group's committed offset against the end of each partition."""
    from shared.operations.lag import consumer_lag
    from shared.security.acls import OPERATIONS

    settings = ops_settings()
    rows = on_the_broker(
        settings, lambda: consumer_lag(settings.kafka_access(OPERATIONS), settings.consumer_group_prefix, settings.topic_prefix)
    )
    rows = [r for r in rows if r.lag or not only_behind]
    if as_json:
        print(json.dumps([{**vars(r), "lag": r.lag} for r in rows], indent=2))
        return
    table = Table(title=f"consumer lag ({sum(r.lag for r in rows)} records behind)")
    # Group and topic names are long: they fold, so the numbers keep their columns at 80 wide.
    for column in ("service", "group", "topic", "partition", "committed", "end", "lag"):
        table.add_column(column, overflow="fold", no_wrap=column not in ("group", "topic"))
    for r in rows:
        table.add_row(r.service, r.group, r.topic, str(r.partition), str(r.committed), str(r.end), str(r.lag))
    console.print(table)

