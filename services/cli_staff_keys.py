"""`zorgtafel staff enrol|revoke|list`: the staff register of public keys (covenant art. 12.2, 17).

A staff member's commands are signed with their own Ed25519 key; the services carry out only
what a key of the register in force signed (docs/decisions/0010-staff-identity.md). Enrolment
makes the key pair on the staff member's machine and adds the public key to the register; the
register is the administrators' to change, like the register of parties.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from rich.table import Table

from services.cli_retention import staff_id
from services.intake.config import IntakeSettings

console = Console(soft_wrap=True)
staff_app = typer.Typer(help="Staff identity: keys that prove who issued a command (art. 12.2, 17).", no_args_is_help=True)


def staff_keys_typers() -> dict[str, typer.Typer]:
    return {"staff": staff_app}


def _role(values: list[str]) -> list[str]:
    from typing import get_args

    from shared.contracts.staff import Role

    roles = get_args(Role)
    unknown = sorted(set(values) - set(roles))
    if unknown:
        raise typer.BadParameter(f"roles are {', '.join(roles)}")
    return values


@staff_app.command("enrol")
def staff_enrol(
    member: str = typer.Argument(..., callback=staff_id, help="the pseudonymous staff id, e.g. pr-01 (never a name)"),
    role: list[str] = typer.Option(
        [], "--role", callback=_role, help="procesregisseur and/or manager (default: as enrolled, or procesregisseur)"
    ),
    valid_days: int = typer.Option(365, min=1, max=3650, help="how long the key is valid"),
    new_key: bool = typer.Option(False, "--new-key", help="rotate: a new key; the old ones expire in 10 minutes"),
) -> None:
    """Make (or keep) this staff member's key on this machine and put its public half in the
    register. Idempotent: enrolling again changes only the roles, unless --new-key."""
    from shared.security.staff_register import StaffKeyError, StaffRegisterError, enrol

    settings = IntakeSettings()
    try:
        key = enrol(
            settings.staff_register_file(), settings.staff_key_file(member), member, tuple(role) or None,  # type: ignore[arg-type]
            now=datetime.now(UTC), valid_for=timedelta(days=valid_days), new_key=new_key,
        )
    except (StaffRegisterError, StaffKeyError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    until = f"{key.valid_until:%Y-%m-%d}" if key.valid_until else "revoked"
    console.print(f"{member}: key {key.key_id}, valid until {until}")


@staff_app.command("revoke")
def staff_revoke(member: str = typer.Argument(..., callback=staff_id)) -> None:
    """Revoke every key of a staff member at once (leaving, a lost laptop): their commands are
    refused from the next one on. They stay in the register, so past records keep their meaning."""
    from shared.security.staff_register import StaffRegisterError, revoke

    settings = IntakeSettings()
    try:
        register = revoke(settings.staff_register_file(), member, now=datetime.now(UTC))
    except StaffRegisterError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{member}: every key revoked (register version {register.version})")


@staff_app.command("list")
def staff_list() -> None:
    """The staff register in force: staff ids, roles, keys and their validity (no names)."""
    from shared.security.staff_register import StaffRegisterError, load_register

    settings = IntakeSettings()
    try:
        register = load_register(settings.staff_register_file())
    except StaffRegisterError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    table = Table("staff id", "roles", "key", "valid from", "valid until", "revoked")
    for member in register.staff:
        for key in member.keys:
            table.add_row(
                member.staff_id, ", ".join(member.roles), key.key_id, f"{key.valid_from:%Y-%m-%d %H:%M}",
                f"{key.valid_until:%Y-%m-%d %H:%M}" if key.valid_until else "-",
                f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
            )
    console.print(table)
    console.print(f"register version {register.version}, {len(register.staff)} staff members")
