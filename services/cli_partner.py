"""`zorgtafel partner check|onboard|rotate-key|keys`: a party's conformance check, and key hand-over.

`check` is for a party's engineers (nothing is sent). `onboard`, `rotate-key` and `keys` are for
the deployment's administrators: they read the master key and the broker credentials. None of
them ever prints a key; the bundle file they write is 0600 (services/partner_onboarding.py).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import structlog
import typer
from rich.console import Console

from services.intake.config import IntakeSettings

console = Console(soft_wrap=True)
log = structlog.get_logger("zorgtafel.partner")
partner_app = typer.Typer(help="Partners: the conformance check, and handing over their keys.", no_args_is_help=True)


def _party(code: str) -> str:
    from shared.contracts.topics import InvalidPartyCodeError, partner_inbound

    try:
        partner_inbound(code)
    except InvalidPartyCodeError:
        raise typer.BadParameter("a party code is a lower-case slug, e.g. politie-oost-brabant", param_hint="PARTY") from None
    return code


@partner_app.command("check")
def partner_check(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the message as your system would send it (JSON)"),
    party: str = typer.Option(..., help="your party code, e.g. politie-oost-brabant"),
    bundle: Path | None = typer.Option(None, help="your onboarding bundle (its keys open what your message sealed)"),
    key_file: Path | None = typer.Option(None, help="or one transport key: base64 of 32 bytes, mode 0600"),
) -> None:
    """Validate a message as the hub does (schema, sealing, the covenant's rules) and print the
    answer it would get; nothing is sent. Exit 0: received; 1: rejected (reasons printed).
    Without --bundle or --key-file: the keys this machine's hub holds for the party."""
    from services.partner_check import check
    from services.partner_keys import BundleError, PartnerKeys, read_bundle
    from shared.calendar import covenant_today
    from shared.contracts.envelope import utcnow
    from shared.crypto import MasterKey
    from shared.crypto.transport_keyring_file import KeyringError, TransportKeys
    from shared.messaging.security import SecretFileError, read_secret
    from shared.register.history import load_seed

    _party(party)
    try:
        if bundle is not None:
            keys = PartnerKeys.from_bundle(read_bundle(bundle))
            if keys.party != party:
                raise typer.BadParameter(f"the bundle is {keys.party}'s, not {party}'s", param_hint="--bundle")
            key_for = keys.for_opening
        elif key_file is not None:
            key_for = PartnerKeys.single(party, base64.b64decode(read_secret(key_file), validate=True)).for_opening
        else:
            settings = IntakeSettings()
            master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
            hub = TransportKeys.from_settings(settings, master)
            key_for = partial(hub.for_opening, party)  # the keys this machine's hub holds for the party
    except KeyringError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except (SecretFileError, BundleError, ValueError) as exc:
        hint = "--bundle" if bundle is not None else "--key-file"
        raise typer.BadParameter(str(exc) if isinstance(exc, (SecretFileError, BundleError)) else "not base64", param_hint=hint) from None
    try:
        body = json.loads(file.read_bytes())
    except ValueError:
        body = None  # the hub dead-letters what is not JSON: there is nothing to answer
    municipalities = {p.code for p in load_seed().parties if p.kind == "municipality"}
    answer = check(body, key_for, municipalities=municipalities, today=covenant_today(), now=utcnow())
    typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))
    raise typer.Exit(0 if answer["answer"] == "received" else 1)


def _handed_over(party: str, *, rotate: bool, active_in_hours: float, out: Path | None) -> None:
    from services.partner_onboarding import OnboardingError, bundle_file, issue_key, make_bundle, write_bundle
    from shared.contracts.envelope import utcnow
    from shared.contracts.intake import HUB_READER
    from shared.crypto import CryptoError
    from shared.crypto.transport_keyring_file import KeyringError

    settings = IntakeSettings()
    now = utcnow()
    try:
        keyring = issue_key(settings, party, now=now, active_from=now + timedelta(hours=active_in_hours), always=rotate)
        if party == HUB_READER:
            console.print(f"{party}: now {_describe(keyring.of(party)[-1].kid, keyring.of(party)[-1].active_from)}")
            return
        bundle = make_bundle(settings, keyring, party, now=now)
    except (OnboardingError, CryptoError, KeyringError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    target = out or bundle_file(settings, party)
    write_bundle(target, bundle)
    newest = bundle.transport_keys[-1]
    log.info("partner.bundle_written", party=party, kids=[k.kid for k in bundle.transport_keys])
    console.print(f"{party}: bundle written to {target} (mode 0600; hand it over out of band, then delete it)")
    console.print(f"  newest key {_describe(newest.kid, newest.active_from)}; keys in the bundle: "
                  f"{', '.join(k.kid for k in bundle.transport_keys)}")


def _describe(kid: str, active_from: datetime) -> str:
    return f"{kid}, the hub seals with it from {active_from.isoformat(timespec='seconds')}"


@partner_app.command("onboard")
def partner_onboard(
    party: str = typer.Argument(..., callback=_party, help="the party's register code"),
    out: Path | None = typer.Option(None, help="where to write the bundle; default <state_dir>/onboarding/<party>.bundle.json"),
) -> None:
    """Give a party its first transport key (or the ones it has) and write its onboarding bundle:
    keys, broker credential, topics, where the contract is published. Exit 2 when the party has no
    broker credential yet (admit it, then `zorgtafel security apply`)."""
    from shared.contracts.intake import HUB_READER

    if party == HUB_READER:
        console.print("[red]the hub's own key is not handed to a party: `zorgtafel partner rotate-key zorgtafel-hub`[/red]")
        raise typer.Exit(2)
    _handed_over(party, rotate=False, active_in_hours=0, out=out)


@partner_app.command("rotate-key")
def partner_rotate_key(
    party: str = typer.Argument(..., callback=_party, help="the party's register code (or zorgtafel-hub, the staff tools' key)"),
    active_in_hours: float = typer.Option(
        24.0, min=0, help="hours until the hub seals with the new key: time for the party to install it"
    ),
    out: Path | None = typer.Option(None, help="where to write the new bundle"),
) -> None:
    """Issue the party's next transport key and write a bundle with every key still valid. The hub
    opens the new key at once and the old one until the new one has been active for the term of
    transport copies and dead letters plus a day: nothing in flight is lost."""
    _handed_over(party, rotate=True, active_in_hours=active_in_hours, out=out)


@partner_app.command("keys")
def partner_keys() -> None:
    """Every issued transport key of the deployment: kid, issued, active from, opened until (a
    replaced key); never a key."""
    from shared.crypto.transport_keyring_file import KeyringError, load_keyring, transport_overlap
    from shared.crypto.transport_keys import opened_until

    settings = IntakeSettings()
    try:
        keyring = load_keyring(settings.transport_keyring_file())
    except KeyringError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    # Plain lines, not a table: a kid cut off at the terminal's edge names another key.
    overlap = transport_overlap(settings.retention_policy)
    typer.echo("kid\tissued\tthe hub seals with it from\tthe hub opens it until")
    for key in sorted(keyring.keys, key=lambda k: (k.party, k.number)):
        until = opened_until(keyring, key, overlap=overlap)
        typer.echo(f"{key.kid}\t{key.created_at.isoformat(timespec='seconds')}\t{key.active_from.isoformat(timespec='seconds')}"
                   f"\t{until.isoformat(timespec='seconds') if until else '(newest)'}")
    console.print(f"keyring {settings.transport_keyring_file()} version {keyring.version}; parties without a key "
                  f"{'use the key derived in a local run' if settings.environment == 'local' else 'cannot send sealed data'}")


def partner_typers() -> dict[str, typer.Typer]:
    return {"partner": partner_app}
