"""What every `zorgtafel ops` command shares: the settings as the services read them, and one
way to go to the broker that turns its failures into one line (exit 1), never a traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

console = Console(soft_wrap=True)
T = TypeVar("T")


def on_the_broker(settings: Any, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` against the broker; when it cannot be reached or refuses, one line that says
    where and what kind of error (its text may name hosts or quote a record), exit 1."""
    # The client library would print its own unformatted line for the same failure (with hosts).
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    from shared.messaging.security import SecretFileError
    from shared.operations.replay import ReplayIncompleteError

    try:
        return asyncio.run(work())
    except ReplayIncompleteError as exc:  # say exactly what went out, so the record can be mended
        console.print(f"{exc}; replaying that offset again is safe (consumers do nothing twice) and writes its record",
                      style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except SecretFileError as exc:  # names the file, never its content
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:
        console.print(f"[red]the broker at {settings.kafka_bootstrap_servers} did not serve this ({type(exc).__name__}); "
                      "is KAFKA_BOOTSTRAP_SERVERS right, and is the broker up?[/]")
        raise typer.Exit(1) from None


def ops_settings() -> Any:
    """The settings as the services read them; a malformed one is a usage error naming the setting
    (pydantic's own message would quote the value, which may be a secret)."""
    from pydantic import ValidationError

    from shared.settings import ServiceSettings

    try:
        return ServiceSettings()
    except ValidationError as exc:
        names = sorted({"ZT_" + str(e["loc"][0]).upper() for e in exc.errors(include_input=False) if e["loc"]})
        console.print(f"malformed setting(s): {', '.join(names)}", style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
