"""`zorgtafel trace <trace-id>`: one trace as a waterfall in the terminal, read from Jaeger.

Jaeger (deploy/jaeger/jaeger.sh) takes the services' spans over OTLP and answers its query API
(`/api/traces/<trace-id>`); Jaeger built from the Go module proxy carries no web UI, so the hub
draws the trace itself: each span under its parent, with its service, start offset, duration and
status. Span names and attributes hold ids only (see shared/telemetry), so the view shows no
personal data. The processing records of the audit store carry the same trace and span ids
(`zorgtafel trail`), so an auditor can go from a record to its trace and back.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
QUERY_URL = "JAEGER_QUERY_URL"


def query_url() -> str:
    """Jaeger's query API base: `JAEGER_QUERY_URL`, else the local script's port."""
    return os.environ.get(QUERY_URL) or f"http://127.0.0.1:{os.environ.get('JAEGER_UI_PORT', '16686')}"


def trace_url(trace_id: str) -> str:
    """Where the trace is, as JSON from Jaeger's query API."""
    return f"{query_url()}/api/traces/{trace_id}"


# Spans of the transport's machinery rather than of a step: the relay's polling and FastStream's
# "create" spans. `--all` shows them; their children stay, one level deeper.
MACHINERY = ("outbox relay",)


def is_machinery(name: str) -> bool:
    return name in MACHINERY or name.endswith(" create")


def waterfall(trace: dict[str, Any], *, everything: bool = True) -> list[dict[str, Any]]:
    """Jaeger's trace (`{"traceID", "spans", "processes"}`, times in µs) as rows in tree order;
    without `everything`, the transport's machinery (`is_machinery`) is left out.

    Each row: depth (0 for a root), service, name, offset_ms (from the trace's first span),
    duration_ms, status (ok | error | unset), span_id. A span whose parent is missing from the
    trace (a partner's span that was never exported) counts as a root.
    """
    spans = {s["spanID"]: s for s in trace["spans"]}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in spans.values():
        parents = [r["spanID"] for r in span.get("references", []) if r.get("refType") == "CHILD_OF" and r["spanID"] in spans]
        children.setdefault(parents[0] if parents else None, []).append(span)
    start = min((s["startTime"] for s in spans.values()), default=0)
    rows: list[dict[str, Any]] = []

    def visit(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s["startTime"]):
            tags = {t["key"]: t["value"] for t in span.get("tags", [])}
            code = str(tags.get("otel.status_code", "")).lower()
            if everything or not is_machinery(span["operationName"]):
                rows.append({
                    "depth": depth, "service": trace["processes"][span["processID"]]["serviceName"],
                    "name": span["operationName"], "offset_ms": (span["startTime"] - start) / 1000,
                    "duration_ms": span["duration"] / 1000, "status": code or ("error" if tags.get("error") else "unset"),
                    "span_id": span["spanID"],
                })
            visit(span["spanID"], depth + 1)

    visit(None, 0)
    return rows


def fetch(trace_id: str) -> dict[str, Any] | None:
    """The trace from Jaeger's query API, or None when Jaeger does not know it."""
    try:
        with urllib.request.urlopen(trace_url(trace_id), timeout=10) as response:
            body: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return body["data"][0] if body.get("data") else None


def show_trace(trace_id: str, as_json: bool = False, everything: bool = False) -> int:
    """Print the trace's waterfall (or JSON rows); 1 when it is not (yet) in Jaeger."""
    try:
        trace = fetch(trace_id)
    except OSError as error:
        console.print(f"no trace viewer at {query_url()} ({type(error).__name__}): start it with deploy/jaeger/jaeger.sh start")
        return 1
    if trace is None:
        console.print(f"trace {trace_id} is not in Jaeger at {query_url()} (spans are exported in batches: try again)")
        return 1
    rows = waterfall(trace, everything=everything)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"trace {trace_id} ({len(rows)} of {len(trace['spans'])} spans) - {trace_url(trace_id)}")
    for column in ("span", "service", "start +ms", "ms", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row("  " * row["depth"] + row["name"], row["service"], f'{row["offset_ms"]:.1f}',
                      f'{row["duration_ms"]:.1f}', row["status"])
    console.print(table)
    return 0


def trace(
    trace_id: str = typer.Argument(..., help="32 hex digits, e.g. from `zorgtafel trail`"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON rows."),
    everything: bool = typer.Option(False, "--all", help="Show the relay's and the producer's machinery spans too."),
) -> None:
    """One trace as a waterfall, from Jaeger's query API (JAEGER_QUERY_URL)."""
    if len(trace_id) != 32 or any(c not in "0123456789abcdef" for c in trace_id):
        raise typer.BadParameter("a trace id is 32 lower-case hex digits")
    raise typer.Exit(show_trace(trace_id, as_json, everything))
