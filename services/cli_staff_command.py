"""How every staff command leaves the terminal: signed as the staff member, sent, and answered
(issue 14, docs/decisions/0016). A refusal used to show only in a service's log while the tool
said "sent"; now the tool waits for the service's `StaffCommandAnswered` and says what it was.

Exit status of a staff command:
  0  carried out (with --no-wait: sent)
  1  refused by the hub: the reason code, and what it means
  2  a usage error, or the staff register on this machine refuses the command: nothing was sent
  3  sent, but no answer within --timeout (the service is down or behind, or the command went to
     the dead-letter topic): it may still be carried out; its id says which command to look for
  4  nothing was sent: the answers cannot be read (the broker's rules predate the answers topic)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from shared.contracts.topics import INTAKE_COMMANDS, MEETING_COMMANDS, RETENTION_COMMANDS, TRIAGE_COMMANDS

if TYPE_CHECKING:  # the models and the signing code load when a command runs, not for --help
    from services.procesregisseur import Procesregisseur
    from shared.contracts.staff import StaffCommand, StaffCommandAnswered

console = Console(soft_wrap=True, highlight=False)
REFUSED, NO_ANSWER, NOT_SENT = 1, 3, 4
DEFAULT_TIMEOUT_S = 30.0
# What each command topic's service is called where an operator starts it (`zorgtafel run <service>`).
SERVICE_OF = {
    INTAKE_COMMANDS.name: "intake", TRIAGE_COMMANDS.name: "triage", MEETING_COMMANDS.name: "casemeeting",
    RETENTION_COMMANDS.name: "retention",
}
# Every reason code a service or the staff gate answers with, in a line a Procesregisseur reads,
# `{service}` being the service that answered (the codes: IntakeCommandRefused,
# TriageCommandRefused, MeetingCommandRefused, RetentionCommandRefused and the staff gate's
# RefusalReason; a test keeps this complete).
EXPLANATIONS = {
    "unknown_case": "{service} knows no case with this id",
    "case_already_decided": "the case was decided already; the command is for a case still waiting",
    "not_current_party": "the party is not a party of the register today",
    "party_not_current": "a party named is not a party of the register today; check its code with zorgtafel parties list",
    "already_a_party": "the party is in the register already",
    "not_a_party": "no party with this code is in the register on that day; check it with zorgtafel parties list",
    "party_already_asked": "a party named was asked this question already",
    "deadline_passed": "the deadline for the answer (--answer-before) has already passed",
    "justification_required": "the route departs from the criteria of Bijlage 2: give --justification",
    "no_house_for_municipality": "no Zorg- en Veiligheidshuis is known for the case's municipality: give --house",
    "unknown_meeting": "the Casusoverleg knows no meeting with this id",
    "party_not_designated": "a party named was not designated for this case's Casusoverleg",
    "not_a_participant": "the party did not take part in this meeting",
    "unknown_item": "no information item with this id was supplied for this meeting",
    "unknown_action": "no action with this id is in the current plan van aanpak",
    "action_done": "the action is done already",
    "case_afgeschaald": "the case is afgeschaald: nothing more can be decided for it",
    "criteria_not_set": "no criteria for afschaling were set for this case",
    "no_plan": "no plan van aanpak was adopted for this case",
    "already_erased": "the person's data was erased already",
    "party_not_involved": "the party is neither the referrer nor designated for this case",
    "proof_missing": "the command carried no proof of who sent it",
    "staff_unknown": "the staff register of {service} does not know this staff id",
    "key_unknown": "the services' staff register holds no such key of yours: enrol it there with zorgtafel staff enrol",
    "key_not_valid": "your key is revoked, expired or not yet valid",
    "signature_invalid": "the signature does not match this command",
    "identity_mismatch": "the command names another staff member than the one who signed it",
    "role_not_allowed": "your roles do not include this command's",
    "not_fresh": "the command was issued too long ago, or in the future: check this machine's clock",
}
Build = Callable[["Procesregisseur"], "StaffCommand"]
# Added to every staff command by `staff_command`.
_WAITING = [
    inspect.Parameter(
        "no_wait", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
        default=typer.Option(False, "--no-wait", help="Send the command and exit, without waiting for the hub's answer."),
    ),
    inspect.Parameter(
        "timeout", inspect.Parameter.KEYWORD_ONLY, annotation=float,
        default=typer.Option(DEFAULT_TIMEOUT_S, "--timeout", min=0.1, help="Seconds to wait for the hub's answer (exit 3 if none)."),
    ),
]


def staff_command(app: typer.Typer, name: str) -> Callable[[Callable[..., Build]], Callable[..., Build]]:
    """Register on `app`, as `name`, a staff command: the decorated function takes the command's
    arguments (one of them `by`, the staff id), checks them and returns how to build the command
    from the staff member's Procesregisseur; the command that runs signs it, sends it and reports
    the hub's answer (`send_and_report`), with --no-wait and --timeout added to its options."""

    def register(build_command: Callable[..., Build]) -> Callable[..., Build]:
        @functools.wraps(build_command)
        def command(*args: Any, no_wait: bool, timeout: float, **kwargs: Any) -> None:
            send_and_report(kwargs["by"], build_command(*args, **kwargs), None if no_wait else timeout)

        signature = inspect.signature(build_command, eval_str=True)
        parameters = [*signature.parameters.values(), *_WAITING]
        command.__signature__ = signature.replace(parameters=parameters, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}  # resolved: typer reads these
        app.command(name)(command)
        return build_command

    return register


def send_and_report(staff_id: str, build: Build, timeout_s: float | None) -> None:
    """Build the command as `staff_id`, send it and print what became of it; wait for the answer
    at most `timeout_s` seconds (None: do not wait). Exits with the status the module names."""
    from services.cli_retention import as_staff
    from services.procesregisseur import StaffCommandRefusedError
    from services.procesregisseur_answers import AnswersUnavailableError

    pr = as_staff(staff_id)
    command = build(pr)

    async def send() -> StaffCommandAnswered | None:
        async with pr:
            if timeout_s is None:
                await pr.send(command)
                return None
            return await pr.carry_out(command, timeout_s)

    try:
        answer = asyncio.run(send())
    except StaffCommandRefusedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except AnswersUnavailableError as exc:
        console.print(f"[red]nothing was sent: {exc}, or send with --no-wait[/red]")
        raise typer.Exit(NOT_SENT) from None
    if timeout_s is None:
        console.print(f"sent {command.command_type} {command.command_id}")
    else:
        report(command, answer, timeout_s)
    if command.command_type == "meeting.schedule":
        console.print(f"meeting id: {command.meeting_id}")  # type: ignore[attr-defined]


def report(command: StaffCommand, answer: StaffCommandAnswered | None, timeout_s: float) -> None:
    """Print the answer in one line; exit 1 on a refusal, 3 when none came (return when carried out)."""
    what = f"{command.command_type} {command.command_id}"
    if answer is None:
        from shared.security.staff_identity import command_topic

        service = SERVICE_OF.get(command_topic(command.command_type).name, "the service")
        console.print(f"[yellow]{what} sent; no answer within {timeout_s:g} s: is {service} running?[/yellow]")
        raise typer.Exit(NO_ANSWER)
    if answer.outcome == "carried_out":
        console.print(f"{what}: carried out by {answer.producer}")
        return
    explanation = EXPLANATIONS.get(answer.reason or "", "").format(service=answer.producer)
    console.print(f"[red]{what}: refused: {answer.reason}[/red]" + (f" ({explanation})" if explanation else ""))
    raise typer.Exit(REFUSED)
