"""What the staff commands take from the command line, checked before anything is sent: a
malformed id or date is a usage error (exit 2) that says what was expected, never a traceback."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, NamedTuple

import typer


def case_uuid(text: str) -> str:
    """Typer callback: a case id is a UUID."""
    return _uuid(text, "a case id")


def meeting_uuid(text: str) -> str:
    """Typer callback: a meeting id is a UUID (`meeting schedule` prints it)."""
    return _uuid(text, "a meeting id")


def uuids(texts: list[str]) -> list[str]:
    """Typer callback for repeated ids (items), or ids with what follows a colon (`id:reason`)."""
    for text in texts:
        _uuid(text.split(":", 1)[0], "an id")
    return texts


class PlanAction(NamedTuple):
    """One action of a plan van aanpak as typed (art. 8.4b-c): who does it, by when, what, and
    what that party needs to know."""

    party: str
    deadline: date
    description: str
    information_need: str


def plan_action(text: str) -> PlanAction:
    """Typer parser, so the command gets each action parsed once: party|YYYY-MM-DD|what to do|what
    the party needs to know."""
    parts = text.split("|", 3)
    if len(parts) != 4:
        raise typer.BadParameter("each --action is party|YYYY-MM-DD|description|information need")
    party, deadline, description, information_need = parts
    return PlanAction(party, date.fromisoformat(day(deadline)), description, information_need)


def carried_over(texts: list[str]) -> list[str]:
    """Typer callback: each carried-over action is <action id>:<why it was not done>."""
    for text in texts:
        if ":" not in text:
            raise typer.BadParameter("each --action is <action id>:<why it was not done>")
    return uuids(texts)


def day(text: str) -> str:
    """Typer callback: a day as YYYY-MM-DD (an empty default stays empty)."""
    if text:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a day: use YYYY-MM-DD, e.g. 2026-12-01") from None
    return text


def moment(text: str) -> str:
    """Typer callback: a moment as an ISO date-time with its offset (an empty default stays empty)."""
    if text:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise typer.BadParameter(f"{text!r} is not a date-time with offset, e.g. 2026-12-01T10:00+01:00") from None
    return text


def _uuid(text: str, what: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise typer.BadParameter(f"{what} is a UUID, e.g. 0b7f7d0e-55a1-4c1f-9a57-8e0f3c3f2d11") from None


CASE_ID = typer.Argument(..., callback=case_uuid, help="the hub's opaque case id")
CaseId = Annotated[str, typer.Argument(callback=case_uuid, help="the hub's opaque case id", show_default=False)]
MeetingId = Annotated[str, typer.Argument(callback=meeting_uuid, help="the meeting's id", show_default=False)]
