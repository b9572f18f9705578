"""`zorgtafel`: run a service, manage topics, write the AsyncAPI document, run the demo.

The CLI is a composition tool beside the services: it may load every service, while the
services themselves never import each other.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

from services.intake.config import IntakeSettings
from shared.contracts.aanmelding import ReferralPersonalData, SubmitReferral
from shared.contracts.envelope import Command
from shared.contracts.intake import AnswerQuestion, InboxNotice
from shared.contracts.register import AdmitParty, ExcludeParty, PartyDetails, RecordPartyLeaving
from shared.contracts.topics import (
    HUB_TOPICS,
    partner_topics,
)
from shared.contracts.triage import DecisionType
from shared.messaging.admin import ensure_topics
from shared.register.history import load_seed
from shared.telemetry.logging import configure_logging

# Rich tracebacks would print local variables, which may hold personal data.
app = typer.Typer(
    help="Zorgtafel Hub: the integration hub of the Zorgtafel regio Oost-Brabant.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
topics_app = typer.Typer(help="The topic registry on the broker.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
parties_app = typer.Typer(help="The register of parties (covenant art. 20, 21.3, 23.2).", no_args_is_help=True)
app.add_typer(parties_app, name="parties")
intake_app = typer.Typer(help="The Procesregisseur's judgement of referrals (art. 12.2a).", no_args_is_help=True)
app.add_typer(intake_app, name="intake")
triage_app = typer.Typer(help="Triage: consult parties, route the case, opschaling (art. 12.2b-e).", no_args_is_help=True)
app.add_typer(triage_app, name="triage")
console = Console(soft_wrap=True)


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
    settings = IntakeSettings()
    configure_logging()
    codes = settings.partner_topics or tuple(p.code for p in load_seed().parties)
    created = asyncio.run(
        ensure_topics(settings.kafka_bootstrap_servers, (*HUB_TOPICS, *partner_topics(codes)), prefix=settings.topic_prefix)
    )
    console.print(f"created {len(created)} topic(s)")


@topics_app.command("list")
def topics_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """The topic registry (hub topics and the configured parties' topics)."""
    registry = (*HUB_TOPICS, *partner_topics(IntakeSettings().party_codes))
    if as_json:
        typer.echo(json.dumps([{"name": t.name, "description": t.description} for t in registry], indent=2))
        return
    table = Table("topic", "what it carries")
    for t in registry:
        table.add_row(t.name, t.description)
    console.print(table)


def asyncapi_document() -> str:
    """The AsyncAPI 3.0 document of all four services, generated from their code.

    Registry topics no service reads or writes yet are listed too, marked as reserved, so the
    document always shows the whole topic registry.
    """
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
    return json.dumps(json.loads(spec.to_specification().to_json()), indent=2, sort_keys=True) + "\n"


def _topics_of(endpoint: object) -> list[str]:
    topics = getattr(endpoint, "topics", None) or [getattr(endpoint, "topic", "")]
    return [str(t) for t in topics]


@app.command()
def asyncapi(output: Path = typer.Option(Path("docs/asyncapi.json"), help="Where to write the document.")) -> None:
    """Write the AsyncAPI document (every topic and payload) generated from the code."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(asyncapi_document())
    console.print(f"wrote {output}")


@parties_app.command("list")
def parties_list(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    on: str = typer.Option("", help="The register as it was on this date (YYYY-MM-DD); default today."),
) -> None:
    """The parties of the register on a date (today by default), from intake's database."""
    from services.intake.register_view import current_register

    day = date.fromisoformat(on) if on else datetime.now(UTC).date()
    parties = asyncio.run(current_register(IntakeSettings(), day))
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in parties], ensure_ascii=False, indent=2))
        return
    table = Table("code", "name", "kind", "seat", "office address")
    for p in parties:
        table.add_row(p.code, p.name, p.kind, p.seat or "unknown", p.office_address or "unknown")
    console.print(table)
    console.print(f"{len(parties)} parties on {day.isoformat()}")


def _send(command: Command) -> None:
    from services.procesregisseur import Procesregisseur

    async def send() -> None:
        async with Procesregisseur(IntakeSettings(), "cli") as pr:
            await pr.send(command)

    asyncio.run(send())
    console.print(f"sent {command.command_type} {command.command_id}")


def _new() -> dict[str, object]:
    return {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}


@parties_app.command("admit")
def parties_admit(
    code: str,
    name: str,
    kind: str = typer.Option("organisation", help="organisation or municipality"),
    sector: str = typer.Option(..., help="e.g. shelter, welfare, ggz"),
    seat: str | None = typer.Option(None),
    office_address: str | None = typer.Option(None),
    effective_on: str = typer.Option(..., help="YYYY-MM-DD: the day Bijlage 1 was signed"),
) -> None:
    """Accession of an organisation after every party consented (art. 20.4)."""
    party = PartyDetails(code=code, name=name, kind=kind, sector=sector, seat=seat, office_address=office_address)  # type: ignore[arg-type]
    _send(AdmitParty(**_new(), party=party, effective_on=date.fromisoformat(effective_on)))  # type: ignore[arg-type]


@parties_app.command("leave")
def parties_leave(code: str, effective_on: str = typer.Option(..., help="YYYY-MM-DD")) -> None:
    """A party ends its participation (art. 21.3)."""
    _send(RecordPartyLeaving(**_new(), code=code, effective_on=date.fromisoformat(effective_on)))  # type: ignore[arg-type]


@parties_app.command("exclude")
def parties_exclude(code: str, effective_on: str = typer.Option("", help="YYYY-MM-DD; default today")) -> None:
    """The Regionale Tafel excludes a party with immediate effect (art. 23.2)."""
    day = date.fromisoformat(effective_on) if effective_on else datetime.now(UTC).date()
    _send(ExcludeParty(**_new(), code=code, effective_on=day))  # type: ignore[arg-type]


def _procesregisseur_command(staff_id: str, build: Callable[[Any], Command]) -> None:
    from services.procesregisseur import Procesregisseur

    pr = Procesregisseur(IntakeSettings(), staff_id)
    command = build(pr)

    async def send() -> None:
        async with pr:
            await pr.send(command)

    asyncio.run(send())
    console.print(f"sent {command.command_type} {command.command_id}")


STAFF = typer.Option(..., "--by", help="Your pseudonymous staff id, e.g. pr-01 (never a name)")


@intake_app.command("accept")
def intake_accept(case_id: str, by: str = STAFF) -> None:
    """Accept a referral for triage."""
    _procesregisseur_command(by, lambda pr: pr.accept(uuid.UUID(case_id)))


@intake_app.command("decline")
def intake_decline(case_id: str, reason: str = typer.Option(..., help="Told to the referrer"), by: str = STAFF) -> None:
    """Decline a referral; the reason goes, sealed, to the referrer."""
    _procesregisseur_command(by, lambda pr: pr.decline(uuid.UUID(case_id), reason))


@intake_app.command("ask")
def intake_ask(case_id: str, question: str = typer.Option(...), by: str = STAFF) -> None:
    """Ask the referrer a question before judging."""
    _procesregisseur_command(by, lambda pr: pr.ask(uuid.UUID(case_id), question))


@triage_app.command("consult")
def triage_consult(
    case_id: str,
    party: list[str] = typer.Option(..., "--party", help="A party to consult; repeat for more"),
    question: str = typer.Option(...),
    answer_before: str = typer.Option("", help="ISO date-time with offset; default: the configured deadline"),
    by: str = STAFF,
) -> None:
    """Ask the relevant parties one question, each on its own inbox, with a deadline."""
    deadline = datetime.fromisoformat(answer_before) if answer_before else None
    _procesregisseur_command(by, lambda pr: pr.consult(uuid.UUID(case_id), party, question, deadline))


@triage_app.command("to-casusoverleg")
def triage_to_casusoverleg(
    case_id: str,
    goal: str = typer.Option(...),
    theme: list[str] = typer.Option(..., "--theme"),
    decision_type: list[DecisionType] = typer.Option(..., "--decision-type"),
    invite: list[str] = typer.Option(..., "--invite", help="A party to invite; repeat for more"),
    justification: str | None = typer.Option(None, help="Required when the criteria do not hold"),
    by: str = STAFF,
) -> None:
    """Route the case to a Casusoverleg (art. 12.2c, 12.2e)."""
    _procesregisseur_command(by, lambda pr: pr.to_casusoverleg(
        uuid.UUID(case_id), goal=goal, themes=theme, decision_types=decision_type, invite=invite,
        justification=justification,
    ))


@triage_app.command("not-a-case")
def triage_not_a_case(
    case_id: str,
    reason: str = typer.Option(..., help="Told, sealed, to the referrer"),
    justification: str | None = typer.Option(None, help="Required when the criteria hold"),
    by: str = STAFF,
) -> None:
    """Decide that this is not a Zorgtafel case."""
    _procesregisseur_command(by, lambda pr: pr.not_a_zorgtafel_case(uuid.UUID(case_id), reason, justification))


@triage_app.command("escalate")
def triage_escalate(
    case_id: str,
    house: str | None = typer.Option(None, help="brabant-zuidoost or brabant-noordoost; default by municipality"),
    by: str = STAFF,
) -> None:
    """Opschaling to a Zorg- en Veiligheidshuis, at any moment of the case."""
    _procesregisseur_command(by, lambda pr: pr.escalate(uuid.UUID(case_id), house))


@triage_app.command("show")
def triage_show(case_id: str) -> None:
    """A triage case's state: consultations, the criteria, the decision (no personal data)."""
    from services.triage.view import triage_state

    state = asyncio.run(triage_state(uuid.UUID(case_id)))
    if state is None:
        console.print("no such triage case")
        raise typer.Exit(1)
    typer.echo(json.dumps(state, indent=2, default=str))


PARTNER_SCHEMAS = {
    "submit-referral.v1.json": SubmitReferral,
    "referral-personal-data.v1.json": ReferralPersonalData,
    "answer-question.v1.json": AnswerQuestion,
}


def json_schemas() -> dict[str, str]:
    """JSON Schemas of what a partner system writes and reads, by file name."""
    schemas = {name: model.model_json_schema() for name, model in PARTNER_SCHEMAS.items()}
    schemas["inbox-notice.v1.json"] = TypeAdapter(InboxNotice).json_schema()
    return {name: json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for name, schema in schemas.items()}


@app.command()
def schemas(output: Path = typer.Option(Path("docs/schemas"), help="Folder for the JSON Schema files.")) -> None:
    """Write the JSON Schemas of the partner-facing contracts (aanmelding, answers, inbox notices)."""
    output.mkdir(parents=True, exist_ok=True)
    for name, text in json_schemas().items():
        (output / name).write_text(text, encoding="utf-8")
    console.print(f"wrote {len(PARTNER_SCHEMAS) + 1} schemas to {output}")


@app.command()
def demo(referrals: int = typer.Option(3, min=1, max=50, help="How many demo referrals to send.")) -> None:
    """The main job: start the four services, push demo referrals through, show where to look."""
    from services.demo import run_demo

    configure_logging()
    raise typer.Exit(asyncio.run(run_demo(referrals, console)))


if __name__ == "__main__":
    app()
