"""`zorgtafel security print|apply`: who may do what on the broker, generated, reviewed, applied.

The plan comes from the code (each service's subscribers and publishers) and the register (the
parties current today); nothing is written by hand per topic (shared/security/acls.py).
`apply` runs as the administrator (zt-admin): it creates the environment's topics with the
retention policy's settings, every principal's credential (a new password in a 0600 file when
there is none), and makes the environment's ACLs exactly the plan's. Idempotent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
import typer
from rich.console import Console
from rich.table import Table

from services.intake.config import IntakeSettings

if TYPE_CHECKING:
    from shared.security.acls import AclEntry
    from shared.security.apply import AccessChanges

console = Console(soft_wrap=True)
log = structlog.get_logger("zorgtafel.access")
security_app = typer.Typer(help="Who may do what on the broker: principals and ACLs.", no_args_is_help=True)


@dataclass(frozen=True)
class AccessPlan:
    """An environment's principals and rules."""

    principals: frozenset[str]
    rules: frozenset[AclEntry]
    parties: tuple[str, ...]


def plan_access(parties: Sequence[str], topic_prefix: str, group_prefix: str) -> AccessPlan:
    """The plan for an environment. Builds each service's runtime to read its endpoints (nothing
    connects). Raises UnplaceableEndpointError, InvalidPartyCodeError."""
    from services.catalog import Service, service_module, service_settings
    from shared.security.acls import OPERATIONS, STAFF, desired_acls, party_principal, service_principal
    from shared.security.endpoints import endpoints_of

    endpoints = []
    for service in Service:
        settings = service_settings(service, topic_prefix=topic_prefix, consumer_group_prefix=group_prefix,
                                    kafka_security_protocol="PLAINTEXT")  # planning only: no credential read
        runtime = service_module(service).create_runtime(settings)
        endpoints.append(endpoints_of(service.value, runtime.broker, topic_prefix))
    principals = {service_principal(s.value) for s in Service} | {party_principal(p) for p in parties}
    principals |= {STAFF, OPERATIONS}
    rules = desired_acls(endpoints, parties, topic_prefix, group_prefix)
    return AccessPlan(frozenset(principals), frozenset(rules), tuple(parties))


async def provision(settings: IntakeSettings, parties: Sequence[str] | None = None) -> AccessChanges:
    """Topics, credentials and ACLs of `settings`' environment, as the administrator, for
    `parties` (the register's parties today when None: never the seed, which would give a party
    excluded since its access back)."""
    from shared.contracts.topics import HUB_TOPICS, partner_topics
    from shared.messaging.admin import ensure_topics
    from shared.retention.policy import load_policy
    from shared.security.acls import ADMIN
    from shared.security.apply import AccessChanges, apply_access

    parties = tuple(parties) if parties is not None else await register_parties(settings)
    plan = plan_access(parties, settings.topic_prefix, settings.consumer_group_prefix)
    admin = settings.kafka_access(ADMIN)
    policy = load_policy(settings.retention_policy)
    await ensure_topics(admin, (*HUB_TOPICS, *partner_topics(parties)), policy=policy, prefix=settings.topic_prefix)
    if not admin.secured:  # a plaintext broker someone else provides for tests has no authorizer
        return AccessChanges((), (), (), ())
    return await asyncio.to_thread(
        apply_access, admin, set(plan.rules), set(plan.principals), settings.secret_file,
        topic_prefix=settings.topic_prefix, group_prefix=settings.consumer_group_prefix,
    )


async def register_parties(settings: IntakeSettings) -> tuple[str, ...]:
    """The parties of the register today (the covenant's day, Europe/Amsterdam), read through
    intake's read side. With `partner_topics` configured (tests name a few), only those and the
    parties admitted after the seed."""
    from services.intake.register_view import current_register
    from shared.contracts.envelope import utcnow
    from shared.register.history import load_seed
    from shared.retention.policy import load_policy

    today = load_policy(settings.retention_policy).local_day(utcnow())
    current = [p.code for p in await current_register(settings, today)]
    configured = set(settings.partner_topics)
    if not configured:
        return tuple(current)
    seeded = {p.code for p in load_seed().parties}
    return tuple(code for code in current if code in configured or code not in seeded)


async def follow_register(settings: IntakeSettings, *, poll_s: float = 60.0, stop: asyncio.Event | None = None) -> None:
    """Keep the broker's access equal to the register, as zt-admin: at start, at once after every
    register event (an admission gets its principal and rules; an exclusion, art. 23.2, loses them
    and its credential), and every `poll_s` seconds (a leaving takes effect on its date). Offsets
    are committed after the apply that follows them: a crash applies again, which changes nothing."""
    from aiokafka import AIOKafkaConsumer

    from shared.contracts.topics import REGISTER_EVENTS
    from shared.security.acls import ADMIN

    stop = stop or asyncio.Event()
    consumer = AIOKafkaConsumer(
        REGISTER_EVENTS.named(settings.topic_prefix), **settings.kafka_access(ADMIN).aiokafka(),
        group_id=f"{settings.consumer_group_prefix}.access.register-events", enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    await consumer.start()
    retry_s = 1.0
    try:
        while not stop.is_set():
            try:
                changes = await provision(settings, await register_parties(settings))
                if changes.changed:
                    log.info("access.applied", credentials_created=len(changes.credentials_created),
                             credentials_removed=len(changes.credentials_removed),
                             rules_added=len(changes.rules_added), rules_removed=len(changes.rules_removed))
                await consumer.commit()
                wait_s, retry_s = poll_s, 1.0
            except Exception as exc:  # the follower outlives a failed pass: exclusions must still arrive
                log.warning("access.apply_failed", error_type=type(exc).__name__, retry_in_s=retry_s)
                wait_s, retry_s = retry_s, min(retry_s * 2, poll_s)
            waiting = asyncio.create_task(consumer.getmany(timeout_ms=int(wait_s * 1000)))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not waiting.done():
                waiting.cancel()
            elif waiting.exception() is not None:  # said, and the next pass applies anyway
                log.warning("access.fetch_failed", error_type=type(waiting.exception()).__name__)
    finally:
        await consumer.stop()


@security_app.command("follow")
def security_follow(poll_s: float = typer.Option(60.0, help="Seconds between re-checks (leavings on their date).")) -> None:
    """Keep access equal to the register until stopped: admissions, leavings and exclusions reach
    the broker at once (as zt-admin; run it beside the services)."""
    from shared.telemetry.logging import configure_logging

    configure_logging()
    asyncio.run(follow_register(IntakeSettings(), poll_s=poll_s))


@security_app.command("rotate")
def security_rotate(principal: str = typer.Argument(..., help="e.g. zt-intake or party-<code>")) -> None:
    """Give one principal a new password (broker and its 0600 file); restart its processes after."""
    from shared.security.acls import ADMIN, is_managed
    from shared.security.apply import rotate

    if not is_managed(principal):
        raise typer.BadParameter("only the hub's principals (zt-…) and parties' (party-…) are rotated here")
    settings = IntakeSettings()
    rotate(settings.kafka_access(ADMIN), principal, settings.secret_file)
    console.print(f"rotated {principal}: new password in {settings.secret_file(principal)}; restart its processes")


@security_app.command("print")
def security_print(as_json: bool = typer.Option(False, "--json", help="Print a JSON array.")) -> None:
    """The plan for review: every principal's rules (ZT_TOPIC_PREFIX, ZT_CONSUMER_GROUP_PREFIX)."""
    settings = IntakeSettings(kafka_security_protocol="PLAINTEXT")
    plan = plan_access(asyncio.run(register_parties(settings)), settings.topic_prefix, settings.consumer_group_prefix)
    rows = sorted(plan.rules)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    table = Table("principal", "operation", "resource", "pattern", "name")
    for r in rows:
        table.add_row(f"User:{r.principal}", r.operation, r.resource_type, r.pattern_type, r.resource_name)
    console.print(table)
    console.print(f"{len(plan.principals)} principals, {len(rows)} rules, {len(plan.parties)} parties")


@security_app.command("apply")
def security_apply() -> None:
    """Create topics, credentials and ACLs as the plan says (as zt-admin); idempotent."""
    changes = asyncio.run(provision(IntakeSettings()))
    console.print(
        f"credentials created {len(changes.credentials_created)}, removed {len(changes.credentials_removed)}; "
        f"rules added {len(changes.rules_added)}, removed {len(changes.rules_removed)}"
    )


def security_typers() -> dict[str, typer.Typer]:
    return {"security": security_app}
