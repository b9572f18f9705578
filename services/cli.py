"""`zorgtafel`: run a service, manage topics, write the AsyncAPI document, run the demo.

The CLI is a composition tool beside the services: it may load every service, while the
services themselves never import each other.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from services.catalog import Service
from services.cli_audit import audit_typers, trail
from services.cli_db import db_typers
from services.cli_deploy import deploy_typers
from services.cli_ops import ops_typers
from services.cli_partner import partner_typers
from services.cli_retention import retention_typers
from services.cli_security import security_typers
from services.cli_staff import staff_typers
from services.cli_staff_keys import staff_keys_typers
from services.cli_trace import trace

if TYPE_CHECKING:
    from services.intake.config import IntakeSettings
    from shared.contracts.topics import Topic

# This module and the command modules it adds import only what builds the commands: a command
# imports the libraries it uses (FastStream, SQLAlchemy, the contracts) when it runs, so `zorgtafel
# --help` and a usage error answer at once (issue 14; tests/unit/test_cli_imports.py holds it).

# Rich tracebacks would print local variables, which may hold personal data.
app = typer.Typer(
    help="Zorgtafel Hub: the integration hub of the Zorgtafel regio Oost-Brabant.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
topics_app = typer.Typer(help="The topic registry on the broker.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
console = Console(soft_wrap=True)
for _name, _typer in {**staff_typers(), **retention_typers(), **audit_typers(), **security_typers(), **staff_keys_typers(), **partner_typers(), **db_typers(), **ops_typers(), **deploy_typers()}.items():
    app.add_typer(_typer, name=_name)
app.command("trail")(trail)
app.command("trace")(trace)


@app.command()
def run(service: Service) -> None:
    """Run one service until SIGINT/SIGTERM (in-flight messages finish, offsets are committed)."""
    import structlog

    from services.catalog import service_module
    from shared.audit.activities import RegisterError
    from shared.messaging.errors import RESTART_EXIT_STATUS, restart_requested
    from shared.persistence.database import SchemaOutdatedError
    from shared.retention.policy import PolicyError
    from shared.settings import InsecureSettingsError
    from shared.telemetry.logging import configure_logging

    # Configuration errors whose messages name only files, settings, tables and columns, never data.
    sayable = (PolicyError, RegisterError, InsecureSettingsError, SchemaOutdatedError)
    configure_logging()
    try:
        asyncio.run(service_module(service).create_app().run())
    except Exception as exc:  # one structured line, not a traceback that may quote SQL or data
        # Configuration errors list their problems and hold no personal data: say them.
        said = {"detail": str(exc)} if isinstance(exc, sayable) else {}
        structlog.get_logger("zorgtafel.cli").critical(
            "service.failed", service_name=service.value, error_type=type(exc).__name__, **said
        )
        raise typer.Exit(1) from None
    if restart_requested():  # stopped for a broken producer: a failure, to its supervisor
        raise typer.Exit(RESTART_EXIT_STATUS)


def _registry(settings: IntakeSettings) -> tuple[Topic, ...]:
    """The hub's topics and the configured parties' (every party of the register when none are)."""
    from shared.contracts.topics import HUB_TOPICS, partner_topics
    from shared.register.history import load_seed

    codes = settings.partner_topics or tuple(p.code for p in load_seed().parties)
    return (*HUB_TOPICS, *partner_topics(codes))


@topics_app.command("create")
def topics_create() -> None:
    """Create the hub's topics and each configured party's inbound and inbox topics, with the retention of the
    policy in force (ZT_RETENTION_POLICY, or the shipped one); re-configure existing topics whose retention differs."""
    from services.intake.config import IntakeSettings
    from shared.messaging.admin import ensure_topics
    from shared.retention.policy import load_policy
    from shared.retention.topics import retention_category, retention_days
    from shared.security.acls import ADMIN
    from shared.telemetry.logging import configure_logging

    settings = IntakeSettings()
    configure_logging()
    policy = load_policy(settings.retention_policy)
    registry = _registry(settings)
    changes = asyncio.run(
        ensure_topics(settings.kafka_access(ADMIN), registry, policy=policy, prefix=settings.topic_prefix)
    )
    for t in registry:
        name = t.named(settings.topic_prefix)
        done = "created" if name in changes.created else "re-configured" if name in changes.reconfigured else "as is"
        console.print(f"{name}: retention {retention_days(t, policy)} days ({retention_category(t.name)}), {done}")
    console.print(
        f"created {len(changes.created)}, re-configured {len(changes.reconfigured)} topic(s) "
        f"(retention policy {policy.policy_version})"
    )


@topics_app.command("list")
def topics_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """The topic registry (hub topics and the configured parties' topics) with each topic's retention."""
    from services.intake.config import IntakeSettings
    from shared.retention.policy import load_policy
    from shared.retention.topics import retention_category, retention_days

    settings = IntakeSettings()
    policy = load_policy(settings.retention_policy)
    rows = [
        {
            "name": t.name,
            "description": t.description,
            "retention_category": retention_category(t.name).value,
            "retention_days": retention_days(t, policy),
        }
        for t in _registry(settings)
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("topic", "what it carries", "retention")
    for row in rows:
        table.add_row(row["name"], row["description"], f"{row['retention_days']} days ({row['retention_category']})")
    console.print(table)


def asyncapi_document() -> str:
    """The AsyncAPI 3.0 document of all five services, generated from their code.

    Registry topics no service reads or writes yet are listed too, marked as reserved, so the
    document always shows the whole topic registry.
    """
    from faststream.kafka import KafkaBroker
    from faststream.specification import AsyncAPI

    from services.asyncapi_doc import readable
    from services.catalog import service_module
    from shared.contracts.topics import HUB_TOPICS

    brokers = [service_module(s).create_runtime().broker for s in Service]
    used = {t for b in brokers for endpoint in (*b.subscribers, *b.publishers) for t in _topics_of(endpoint)}
    reserved = KafkaBroker()
    for topic in HUB_TOPICS:
        if topic.name not in used:
            reserved.publisher(topic.name, title=f"{topic.name}:reserved", description=f"{topic.description} (reserved)")
    spec = AsyncAPI(
        *brokers,
        reserved,
        title="Zorgtafel Hub",
        version="0.1.0",
        description="Topics and payloads of the integration hub of the Zorgtafel regio Oost-Brabant.",
    )
    return json.dumps(readable(json.loads(spec.to_specification().to_json())), indent=2, sort_keys=True) + "\n"


def _topics_of(endpoint: object) -> list[str]:
    """A subscriber's topics (kafka Topic objects: their names) or a publisher's topic (a string)."""
    topics = getattr(endpoint, "topics", None) or [getattr(endpoint, "topic", "")]
    return [getattr(t, "name", None) or str(t) for t in topics]


def partner_asyncapi_document() -> str:
    """The partner's AsyncAPI 3.0 document (services/asyncapi_partner.py), as committed."""
    from services.asyncapi_partner import partner_document

    return json.dumps(partner_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@app.command()
def asyncapi(output: Path = typer.Option(Path("docs"), help="The folder to write the documents to.")) -> None:
    """Write the AsyncAPI documents generated from the code: asyncapi.json (the partner contract:
    a party's two topics and every message on them) and asyncapi-hub.json (every topic of the hub)."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "asyncapi.json").write_text(partner_asyncapi_document())
    (output / "asyncapi-hub.json").write_text(asyncapi_document())
    console.print(f"wrote {output / 'asyncapi.json'} and {output / 'asyncapi-hub.json'}")


def json_schemas() -> dict[str, str]:
    """JSON Schemas of what a partner system writes and reads, by file name (shared/contracts/partner.py)."""
    from shared.contracts.partner import schema_files

    return {
        name: json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, schema in schema_files().items()
    }


@app.command()
def schemas(output: Path = typer.Option(Path("docs/schemas"), help="Folder for the JSON Schema files.")) -> None:
    """Write the JSON Schemas of everything a party sends and reads (intake, triage, the
    Casusoverleg, its sealed personal data, its inbox notices)."""
    output.mkdir(parents=True, exist_ok=True)
    written = json_schemas()
    for name, text in written.items():
        (output / name).write_text(text, encoding="utf-8")
    (output.parent / "parties.md").write_text(parties_document(), encoding="utf-8")
    console.print(f"wrote {len(written)} schemas to {output}, and {output.parent / 'parties.md'}")


def parties_document() -> str:
    """docs/parties.md: the register's party codes as seeded (art. 1.1: the municipality a referral
    names is one of the 36), so a partner can fill `municipality` without the hub's CLI."""
    from shared.register.history import load_seed

    seed = load_seed()
    lines = [
        "# Parties of the Zorgtafel regio Oost-Brabant (the register as seeded)",
        "",
        "Generated by `zorgtafel schemas` from `shared/register/data/`. A referral's `municipality` is the",
        "code of one of the municipalities below; a party's code is also its topic name's middle part and",
        "its broker user (`party-<code>`). The register changes by admission, leaving and exclusion; the",
        "hub's answer `municipality_not_in_region` means the code is not a municipality of it today.",
        "",
        "| code | name | kind |",
        "|---|---|---|",
    ]
    for party in sorted(seed.parties, key=lambda p: (p.kind != "municipality", p.code)):
        lines.append(f"| `{party.code}` | {party.name} | {party.kind} |")
    return "\n".join(lines) + "\n"


@app.command()
def demo(
    referrals: int = typer.Option(3, min=1, max=50, help="How many demo referrals to send."),
    log_file: Path | None = typer.Option(
        None, help="Where the services' JSON log lines go (default: <state dir>/demo/services.log).", show_default=False
    ),
) -> None:
    """The main job: start the five services, push demo referrals through, show where to look."""
    from services.demo import run_demo
    from services.intake.config import IntakeSettings
    from shared.telemetry.logging import configure_logging

    log_file = log_file or Path(IntakeSettings().state_dir) / "demo" / "services.log"

    # The narrative on the terminal, the services' log lines in a file: interleaved, ~50 JSON
    # lines buried the story (issue 14).
    configure_logging(to=log_file)
    console.print(f"[dim]the services' log lines go to {log_file}[/]")
    status = asyncio.run(run_demo(referrals, console))
    console.print(f"the services' log lines: {log_file}")
    raise typer.Exit(status)


if __name__ == "__main__":
    app()
