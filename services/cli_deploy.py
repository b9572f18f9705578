"""`zorgtafel deploy manifests`: write the Kubernetes manifests from the registries.

The files in deploy/kubernetes/ are this command's output for a new deployment (the register's
signatories, no topic prefix); tests/unit/test_deploy_manifests.py fails when they differ from
what it writes now, so a topic, a subscriber, a retention term or a party added without
regenerating is caught. A running deployment regenerates from the register in force
(`--parties register`): after every admission, leaving or exclusion (art. 23.2: an excluded
party's KafkaUser must go, and with it its credential and rules).
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path

import typer

deploy_app = typer.Typer(help="Deployment beyond one machine: the Kubernetes manifests.", no_args_is_help=True)


class Parties(StrEnum):
    seed = "seed"
    register = "register"


@deploy_app.command("manifests")
def deploy_manifests(
    parties: Parties = typer.Option(..., help="seed: the signatories (a new deployment); register: the "
                                    "register today, through intake's read side (a running deployment)."),
    output: Path = typer.Option(Path("deploy/kubernetes"), help="Folder to write the YAML files into."),
    image: str = typer.Option("", help="The container image of the services (default: the release's).", show_default=False),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when a file differs."),
) -> None:
    """Write the Strimzi cluster, topics and users, the services' Deployments and their KEDA
    scaling for the environment of ZT_TOPIC_PREFIX and ZT_CONSUMER_GROUP_PREFIX."""
    from services.cli_security import register_parties
    from services.deploy_files import manifest_files, seed_parties
    from services.deploy_manifests import Environment
    from services.intake.config import IntakeSettings
    from shared.retention.policy import load_policy

    settings = IntakeSettings(kafka_security_protocol="PLAINTEXT")  # reads the register only
    codes = seed_parties() if parties is Parties.seed else asyncio.run(register_parties(settings))
    env = Environment(topic_prefix=settings.topic_prefix, group_prefix=settings.consumer_group_prefix, image=image or Environment.image)
    files = manifest_files(env, codes, load_policy(settings.retention_policy))
    stale = [name for name, text in files.items() if not (output / name).is_file() or (output / name).read_text() != text]
    if check:
        for name in stale:
            typer.echo(f"{output / name} differs from the registries: run zorgtafel deploy manifests")
        if not stale:
            typer.echo(f"{output}: the {len(files)} files are what the registries generate")
        raise typer.Exit(1 if stale else 0)
    output.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (output / name).write_text(files[name])
    typer.echo(f"{len(stale)} of {len(files)} files written to {output} ({len(codes)} parties)")


def deploy_typers() -> dict[str, typer.Typer]:
    return {"deploy": deploy_app}
