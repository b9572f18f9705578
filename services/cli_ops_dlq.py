"""`zorgtafel ops dlq`: the dead-letter topic, listed, shown and replayed (issue 14, deliverable 3).

List and show read as the operations principal and print where a letter came from, why it failed
and the shape of its value, never a value. Replay puts letters back on their original topic as
the administrator, and records each replay on the audit topic with the operator's id; `--dry-run`
says what it would do and sends nothing.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.cli_ops_broker import on_the_broker, ops_settings

console = Console(soft_wrap=True)
Consumer = Annotated[str | None, typer.Option("--consumer", help="Only letters of this service.", show_default=False)]
Reason = Annotated[str | None, typer.Option("--reason", help="Only letters with this reason code.", show_default=False)]


def dlq_typer() -> typer.Typer:
    dlq = typer.Typer(help="The dead-letter topic: list, show, replay.", no_args_is_help=True)
    dlq.command("list")(dlq_list)
    dlq.command("show")(dlq_show)
    dlq.command("replay")(dlq_replay)
    return dlq


def _letters(consumer: str | None = None, reason: str | None = None) -> list[Any]:
    from shared.operations.dead_letters import read_dead_letters
    from shared.security.acls import OPERATIONS

    settings = ops_settings()
    letters = on_the_broker(settings, lambda: read_dead_letters(settings.kafka_access(OPERATIONS), settings.topic_prefix))
    return [d for d in letters if (consumer is None or d.consumer == consumer) and (reason is None or d.reason == reason)]


def dlq_list(consumer: Consumer = None, reason: Reason = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every dead letter: offset, when, which service, why, where it came from, its size."""
    letters = _letters(consumer, reason)
    if as_json:
        print(json.dumps([d.summary() for d in letters], indent=2))
        return
    table = Table(title=f"dead letters ({len(letters)})")
    # The origin and the time fold, so the offset that show and replay take is always there.
    for column in ("offset", "failed at", "consumer", "reason", "origin", "bytes", "replayable"):
        table.add_column(column, overflow="fold", no_wrap=column not in ("origin", "failed at"))
    for d in letters:
        s = d.summary()
        table.add_row(str(s["offset"]), s["failed_at"], s["consumer"], s["reason"], s["origin"], str(s["bytes"]),
                      "yes" if s["replayable"] else "no (stub)")
    console.print(table)


def dlq_show(offset: Annotated[int, typer.Argument(min=0, help="The letter's offset (ops dlq list).")]) -> None:
    """One letter: its origin, reason and detail, the headers the hub wrote, its value's field names."""
    found = [d for d in _letters() if d.offset == offset]
    if not found:
        console.print(f"[red]no dead letter at offset {offset}[/]")
        raise typer.Exit(1)
    print(json.dumps(found[0].described(), indent=2))


def dlq_replay(
    offsets: Annotated[list[int] | None, typer.Argument(min=0, help="Offsets to replay (ops dlq list).", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Every letter the filters select.")] = False,
    consumer: Consumer = None,
    reason: Reason = None,
    by: Annotated[str | None, typer.Option("--by", help="Your operator id (pseudonymous), for the audit record.",
                                           show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be replayed; send nothing.")] = False,
) -> None:
    """Put letters back on their original topic and partition; each replay is audited. Consumers
    that processed a letter already do nothing twice (their inboxes), so a replay only makes up
    for what failed."""
    from shared.contracts.staff import STAFF_ID
    from shared.contracts.topics import AUDIT_EVENTS, DEAD_LETTER
    from shared.operations.replay import replay
    from shared.security.acls import ADMIN

    if bool(offsets) == every:
        raise typer.BadParameter("give offsets, or --all (with --consumer/--reason to narrow it)")
    if not dry_run:
        if by is None:
            raise typer.BadParameter("a replay is audited: say who you are with --by <operator-id>", param_hint="--by")
        if len(by) > 64 or not re.match(STAFF_ID, by):
            raise typer.BadParameter("an operator id is lower-case letters and digits, e.g. ops-anna-01", param_hint="--by")
    letters = _letters(consumer, reason)
    chosen = letters if every else [d for d in letters if d.offset in set(offsets or ())]
    missing = sorted(set(offsets or ()) - {d.offset for d in chosen})
    if missing:
        console.print(f"[red]no dead letter at offset(s) {missing}[/]")
        raise typer.Exit(1)
    stubs = [d.offset for d in chosen if not d.replayable]
    for d in chosen:
        target = f"{d.origin_topic}[{d.origin_partition}]"
        console.print(f"{'would replay' if dry_run else 'replaying'} {d.offset} ({d.consumer}, {d.reason}) -> {target}"
                      + ("  [red]not replayable: a stub of an oversized original[/]" if not d.replayable else ""))
    if stubs:
        console.print(f"[red]nothing sent: offsets {stubs} cannot be replayed[/]")
        raise typer.Exit(1)
    if dry_run or not chosen:
        console.print(f"dry run: {len(chosen)} letter(s) would be replayed" if dry_run else "no letters selected")
        return
    settings = ops_settings()
    records = on_the_broker(settings, lambda: replay(
        settings.kafka_access(ADMIN), chosen, operator=by or "", dead_letter_topic=DEAD_LETTER.named(settings.topic_prefix),
        audit_topic=AUDIT_EVENTS.named(settings.topic_prefix),
    ))
    console.print(f"replayed {len(records)} letter(s); each replay recorded on {AUDIT_EVENTS.named(settings.topic_prefix)}")
