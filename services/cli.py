"""`zorgtafel`: run a service, manage topics, write the AsyncAPI document, run the demo.

The CLI is a composition tool beside the services: it may load every service, while the
services themselves never import each other.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from enum import StrEnum
from pathlib import Path
from types import ModuleType

import typer
from faststream.specification import AsyncAPI
from rich.console import Console
from rich.table import Table

from shared.contracts.topics import HUB_TOPICS, partner_topics
from shared.messaging.admin import ensure_topics
from shared.telemetry.logging import configure_logging

app = typer.Typer(help="Zorgtafel Hub: the integration hub of the Zorgtafel regio Oost-Brabant.", no_args_is_help=True)
topics_app = typer.Typer(help="The topic registry on the broker.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
console = Console()


class Service(StrEnum):
    intake = "intake"
    triage = "triage"
    casemeeting = "casemeeting"
    retention = "retention"


def service_module(service: Service) -> ModuleType:
    return importlib.import_module(f"services.{service.value}.app")


@app.command()
def run(service: Service) -> None:
    """Run one service until SIGINT/SIGTERM (in-flight messages finish, offsets are committed)."""
    configure_logging()
    asyncio.run(service_module(service).create_app().run())


@topics_app.command("create")
def topics_create() -> None:
    """Create the hub's topics and each configured party's inbound and inbox topics."""
    from services.intake.config import IntakeSettings

    settings = IntakeSettings()
    configure_logging()
    created = asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap_servers,
            (*HUB_TOPICS, *partner_topics(settings.party_codes)),
            prefix=settings.topic_prefix,
        )
    )
    console.print(f"created {len(created)} topic(s)")


@topics_app.command("list")
def topics_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """The topic registry (hub topics and the configured parties' topics)."""
    from services.intake.config import IntakeSettings

    registry = (*HUB_TOPICS, *partner_topics(IntakeSettings().party_codes))
    if as_json:
        typer.echo(json.dumps([{"name": t.name, "description": t.description} for t in registry], indent=2))
        return
    table = Table("topic", "what it carries")
    for t in registry:
        table.add_row(t.name, t.description)
    console.print(table)


def asyncapi_document() -> str:
    """The AsyncAPI 3.0 document of all four services, generated from their code."""
    brokers = [service_module(s).create_runtime().broker for s in Service]
    spec = AsyncAPI(
        *brokers,
        title="Zorgtafel Hub",
        version="0.1.0",
        description="Topics and payloads of the integration hub of the Zorgtafel regio Oost-Brabant.",
    )
    return spec.to_specification().to_json()


@app.command()
def asyncapi(output: Path = typer.Option(Path("docs/asyncapi.json"), help="Where to write the document.")) -> None:
    """Write the AsyncAPI document (every topic and payload) generated from the code."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(json.loads(asyncapi_document()), indent=2) + "\n")
    console.print(f"wrote {output}")


@app.command()
def demo(referrals: int = typer.Option(3, min=1, max=50, help="How many demo referrals to send.")) -> None:
    """The main job: start the four services, push demo referrals through, show where to look."""
    from services.demo import run_demo

    configure_logging()
    raise typer.Exit(asyncio.run(run_demo(referrals, console)))


if __name__ == "__main__":
    app()
