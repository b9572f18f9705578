"""The `zorgtafel` commands of the people who run the Zorgtafel: the register (Regionale Tafel,
through the Managers) and the Procesregisseur's commands for intake, triage and the Casusoverleg.

Every command goes on Kafka; free text is sealed before it leaves the terminal, and the tool
waits for the hub's answer: carried out, or refused and why (services/cli_staff_command.py).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from services.cli_params import CaseId, MeetingId, PlanAction, carried_over, day, moment, plan_action, uuids
from services.cli_retention import STAFF, as_staff, read_side
from services.cli_staff_command import Build, staff_command
from services.intake.config import IntakeSettings
from shared.calendar import covenant_today
from shared.contracts.decision_types import DecisionType

console = Console(soft_wrap=True)
parties_app = typer.Typer(help="The register of parties (covenant art. 20, 21.3, 23.2).", no_args_is_help=True)
intake_app = typer.Typer(help="The Procesregisseur's judgement of referrals (art. 12.2a).", no_args_is_help=True)
triage_app = typer.Typer(help="Triage: consult parties, route the case, opschaling (art. 12.2b-e).", no_args_is_help=True)
meeting_app = typer.Typer(help="The Casusoverleg: preparation, decisions, the plan (art. 8, 12.2c-h, 13).", no_args_is_help=True)


def staff_typers() -> dict[str, typer.Typer]:
    return {"parties": parties_app, "intake": intake_app, "triage": triage_app, "meeting": meeting_app}


@parties_app.command("list")
def parties_list(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    on: str = typer.Option("", callback=day, help="The register as it was on this date (YYYY-MM-DD); default today."),
) -> None:
    """The parties of the register on a date (today by default), from intake's database."""
    from services.intake.register_view import current_register

    day = date.fromisoformat(on) if on else covenant_today()
    parties = asyncio.run(current_register(IntakeSettings(), day))
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in parties], ensure_ascii=False, indent=2))
        return
    # A code is what every other command takes: whole on any terminal; the rest may fold.
    table = Table()
    table.add_column("code", no_wrap=True, min_width=max((len(p.code) for p in parties), default=4))
    for header in ("name", "kind", "seat", "office address"):
        table.add_column(header, overflow="fold")
    for p in parties:
        table.add_row(p.code, p.name, p.kind, p.seat or "unknown", p.office_address or "unknown")
    console.print(table)
    console.print(f"{len(parties)} parties on {day.isoformat()}")


def _new() -> dict[str, object]:
    return {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}


@staff_command(parties_app, "admit")
def parties_admit(
    code: str,
    name: str,
    kind: str = typer.Option("organisation", help="organisation or municipality"),
    sector: str = typer.Option(..., help="e.g. shelter, welfare, ggz"),
    seat: str | None = typer.Option(None),
    office_address: str | None = typer.Option(None),
    effective_on: str = typer.Option(..., callback=day, help="YYYY-MM-DD: the day Bijlage 1 was signed"),
    by: str = STAFF,
) -> Build:
    """Accession of an organisation after every party consented (art. 20.4)."""
    from shared.contracts.register import AdmitParty, PartyDetails

    party = PartyDetails(code=code, name=name, kind=kind, sector=sector, seat=seat, office_address=office_address)  # type: ignore[arg-type]
    return lambda pr: AdmitParty(**_new(), party=party, effective_on=date.fromisoformat(effective_on))  # type: ignore[arg-type]


@staff_command(parties_app, "leave")
def parties_leave(code: str, effective_on: str = typer.Option(..., callback=day, help="YYYY-MM-DD"), by: str = STAFF) -> Build:
    """A party ends its participation (art. 21.3)."""
    from shared.contracts.register import RecordPartyLeaving

    return lambda pr: RecordPartyLeaving(**_new(), code=code, effective_on=date.fromisoformat(effective_on))  # type: ignore[arg-type]


@staff_command(parties_app, "exclude")
def parties_exclude(
    code: str, effective_on: str = typer.Option("", callback=day, help="YYYY-MM-DD; default today"), by: str = STAFF
) -> Build:
    """The Regionale Tafel excludes a party with immediate effect (art. 23.2)."""
    from shared.contracts.register import ExcludeParty

    day = date.fromisoformat(effective_on) if effective_on else covenant_today()
    return lambda pr: ExcludeParty(**_new(), code=code, effective_on=day)  # type: ignore[arg-type]


def _show(staff_id: str, case_id: str, view: str, read: Callable[[uuid.UUID], Any], missing: str, service: str) -> None:
    """Log the look into the dossier first, then read `service`'s database and print it: no look
    goes unlogged."""
    async def look() -> Any:
        async with as_staff(staff_id) as pr:
            await pr.log_view(uuid.UUID(case_id), view)
        return await read(uuid.UUID(case_id))

    state = read_side(look(), service)
    if state is None:
        from services.retention.config import RetentionSettings
        from shared.persistence.database import place_of

        # Which database was read: a service run with other settings keeps its cases elsewhere.
        where = place_of(RetentionSettings().database_url_for(service))
        console.print(f"{missing} in the {service} database at {where}", markup=False, highlight=False)
        raise typer.Exit(1)
    typer.echo(json.dumps(state, indent=2, default=str))


@intake_app.command("list")
def intake_list(by: str = STAFF, as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """The referrals waiting for your judgement, oldest first: case id, referring party,
    municipality, urgency, age and unanswered questions (art. 12.2a). Each listed case is a look
    into its dossier and is logged as one before anything is shown."""
    from services.intake.view import referrals_to_judge

    async def look() -> list[dict[str, Any]]:
        waiting = await referrals_to_judge(IntakeSettings(), datetime.now(UTC))
        async with as_staff(by) as pr:
            for referral in waiting:
                await pr.log_view(uuid.UUID(referral["case_id"]), "intake-worklist")
        return waiting

    waiting = read_side(look(), "intake")
    if as_json:
        typer.echo(json.dumps(waiting, indent=2))
        return
    table = Table()
    table.add_column("case id", no_wrap=True)
    for header in ("referrer", "municipality", "urgency", "age group", "age (h)", "open questions"):
        table.add_column(header, overflow="fold")
    for r in waiting:
        table.add_row(r["case_id"], r["referrer_party"], r["municipality"], r["urgency"], r["age_group"],
                      f"{r['age_hours']:.1f}", str(r["open_questions"]))
    console.print(table)
    console.print(f"{len(waiting)} referrals waiting for a judgement")


@staff_command(intake_app, "accept")
def intake_accept(case_id: CaseId, by: str = STAFF) -> Build:
    """Accept a referral for triage."""
    return lambda pr: pr.accept(uuid.UUID(case_id))


@staff_command(intake_app, "decline")
def intake_decline(case_id: CaseId, reason: str = typer.Option(..., help="Told to the referrer"), by: str = STAFF) -> Build:
    """Decline a referral; the reason goes, sealed, to the referrer."""
    return lambda pr: pr.decline(uuid.UUID(case_id), reason)


@staff_command(intake_app, "ask")
def intake_ask(case_id: CaseId, question: str = typer.Option(...), by: str = STAFF) -> Build:
    """Ask the referrer a question before judging."""
    return lambda pr: pr.ask(uuid.UUID(case_id), question)


@staff_command(triage_app, "consult")
def triage_consult(
    case_id: CaseId,
    party: list[str] = typer.Option(..., "--party", help="A party to consult; repeat for more"),
    question: str = typer.Option(...),
    answer_before: str = typer.Option("", callback=moment, help="ISO date-time with offset; default: the configured deadline"),
    by: str = STAFF,
) -> Build:
    """Ask the relevant parties one question, each on its own inbox, with a deadline."""
    deadline = datetime.fromisoformat(answer_before) if answer_before else None
    return lambda pr: pr.consult(uuid.UUID(case_id), party, question, deadline)


@staff_command(triage_app, "to-casusoverleg")
def triage_to_casusoverleg(
    case_id: CaseId,
    goal: str = typer.Option(...),
    theme: list[str] = typer.Option(..., "--theme"),
    decision_type: list[DecisionType] = typer.Option(..., "--decision-type"),
    invite: list[str] = typer.Option(..., "--invite", help="A party to invite; repeat for more"),
    justification: str | None = typer.Option(None, help="Required when the criteria do not hold"),
    by: str = STAFF,
) -> Build:
    """Route the case to a Casusoverleg (art. 12.2c, 12.2e)."""
    return lambda pr: pr.to_casusoverleg(
        uuid.UUID(case_id), goal=goal, themes=theme, decision_types=decision_type, invite=invite,
        justification=justification,
    )


@staff_command(triage_app, "not-a-case")
def triage_not_a_case(
    case_id: CaseId,
    reason: str = typer.Option(..., help="Told, sealed, to the referrer"),
    justification: str | None = typer.Option(None, help="Required when the criteria hold"),
    by: str = STAFF,
) -> Build:
    """Decide that this is not a Zorgtafel case."""
    return lambda pr: pr.not_a_zorgtafel_case(uuid.UUID(case_id), reason, justification)


@staff_command(triage_app, "escalate")
def triage_escalate(
    case_id: CaseId,
    house: str | None = typer.Option(None, help="brabant-zuidoost or brabant-noordoost; default by municipality"),
    by: str = STAFF,
) -> Build:
    """Opschaling to a Zorg- en Veiligheidshuis, at any moment of the case."""
    return lambda pr: pr.escalate(uuid.UUID(case_id), house)


@triage_app.command("show")
def triage_show(case_id: CaseId, by: str = STAFF) -> None:
    """A triage case's state: consultations, the criteria, the decision (no personal data)."""
    from services.triage.view import triage_state

    _show(by, case_id, "triage-state", triage_state, "no such triage case", "triage")


@staff_command(meeting_app, "schedule")
def meeting_schedule(case_id: CaseId, at: str = typer.Option(..., callback=moment, help="ISO date-time with offset"), by: str = STAFF) -> Build:
    """Schedule a Casusoverleg (the first, or a follow-up); prints the meeting id."""
    return lambda pr: pr.schedule(uuid.UUID(case_id), datetime.fromisoformat(at))


@staff_command(meeting_app, "invite")
def meeting_invite(meeting_id: MeetingId, party: list[str] = typer.Option(..., "--party"), by: str = STAFF) -> Build:
    """Invite parties: only current parties designated for this case (art. 12.2e)."""
    return lambda pr: pr.invite(uuid.UUID(meeting_id), party)


@staff_command(meeting_app, "share")
def meeting_share(meeting_id: MeetingId, item: list[str] = typer.Option(..., "--item", callback=uuids), by: str = STAFF) -> Build:
    """Propose items as pre-reads; each supplier is asked per invited party (art. 12.2f)."""
    return lambda pr: pr.share_beforehand(uuid.UUID(meeting_id), [uuid.UUID(i) for i in item])


@staff_command(meeting_app, "attendance")
def meeting_attendance(
    meeting_id: MeetingId,
    present: list[str] = typer.Option(..., "--present"),
    apologies: list[str] = typer.Option([], "--apologies"),
    supplied: list[str] = typer.Option([], "--supplied", callback=uuids, help="Ids of information items supplied in the meeting"),
    by: str = STAFF,
) -> Build:
    """Record attendance, apologies and the information supplied (art. 8.4)."""
    return lambda pr: pr.attendance(uuid.UUID(meeting_id), present, apologies, [uuid.UUID(i) for i in supplied]
    )


@staff_command(meeting_app, "appoint")
def meeting_appoint(meeting_id: MeetingId, party: str, by: str = STAFF) -> Build:
    """Appoint the Casusregisseur from a participating party (art. 8.4a, 13.1)."""
    return lambda pr: pr.appoint(uuid.UUID(meeting_id), party)


@staff_command(meeting_app, "plan")
def meeting_plan(
    meeting_id: MeetingId,
    action: list[PlanAction] = typer.Option(
        ..., "--action", parser=plan_action, help="party|YYYY-MM-DD|what to do|what the party needs to know"
    ),
    by: str = STAFF,
) -> Build:
    """Adopt (or revise: a new version) the plan van aanpak (art. 8.4b-c)."""
    return lambda pr: pr.adopt_plan(uuid.UUID(meeting_id), [pr.action(*a) for a in action])


@staff_command(meeting_app, "criteria")
def meeting_criteria(case_id: CaseId, meeting_id: MeetingId, text: str = typer.Option(...), by: str = STAFF) -> Build:
    """Set the criteria for afschaling (art. 8.4d)."""
    return lambda pr: pr.afschaling_criteria(uuid.UUID(case_id), uuid.UUID(meeting_id), text)


@staff_command(meeting_app, "carry-over")
def meeting_carry_over(
    meeting_id: MeetingId,
    action: list[str] = typer.Option(
        ..., "--action", callback=carried_over, help="action-id:not_possible_changed_circumstances|not_undertaken"
    ),
    by: str = STAFF,
) -> Build:
    """Carry open actions over to this follow-up meeting, with why each was not done (art. 13)."""
    pairs = [(uuid.UUID(a.split(":")[0]), a.split(":", 1)[1]) for a in action]
    return lambda pr: pr.carry_over(uuid.UUID(meeting_id), pairs)


@staff_command(meeting_app, "afschaling")
def meeting_afschaling(meeting_id: MeetingId, by: str = STAFF) -> Build:
    """Decide afschaling: the criteria are met; retention cleanses the dossier (art. 8.4d, 1.2)."""
    return lambda pr: pr.afschaling(uuid.UUID(meeting_id))


@meeting_app.command("show")
def meeting_show(case_id: CaseId, by: str = STAFF) -> None:
    """A case's Casusoverleg: meetings, invitations, consents, plan versions (no texts)."""
    from services.casemeeting.view import meeting_state

    _show(by, case_id, "meeting-state", meeting_state, "no such case at the Casusoverleg", "casemeeting")
