"""Key hand-over: a party's onboarding bundle, and rotation of its transport key (covenant art. 17).

`onboard` issues the party's first transport key (active at once) in the deployment's keyring and
writes the bundle: keys, broker credential, topics, where the contract is published. `rotate`
issues the next key, active from a moment the operator chooses (default a day later, so the party
installs it before the hub seals with it), and writes a new bundle holding every key still valid.
Nothing is lost in flight: the hub opens a party's older key until its successor has been active
for the overlap (shared/crypto/transport_keys.py). This is a tool of the deployment's
administrators: it needs the master key and the broker credentials, which a party never has.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from shared.contracts.intake import HUB_READER
from shared.contracts.onboarding import BundleBroker, BundleKey, BundleTopics, OnboardingBundle
from shared.contracts.topics import partner_inbound, partner_inbox
from shared.crypto import MasterKey
from shared.crypto.sealing import b64url_encode
from shared.crypto.transport_keyring_file import change_keyring, transport_overlap
from shared.crypto.transport_keys import TransportKey, TransportKeyring, expired, issue, opened_until, unwrap
from shared.messaging.security import SecretFileError, read_secret, write_secret
from shared.security.acls import party_group_prefix, party_principal
from shared.settings import ServiceSettings

DOCUMENTS = {
    "schemas": "docs/schemas/",
    "asyncapi": "docs/asyncapi.json",
    "sealing": "docs/sealing.md",
    "test_vectors": "docs/test-vectors/sealing.v1.json",
    "parties": "docs/parties.md",
}


class OnboardingError(RuntimeError):
    """The bundle cannot be made; says what to do first, never quotes a secret."""


def bundle_file(settings: ServiceSettings, party: str) -> Path:
    return Path(settings.state_dir) / "onboarding" / f"{party}.bundle.json"


def issue_key(
    settings: ServiceSettings, party: str, *, now: datetime, active_from: datetime, always: bool
) -> TransportKeyring:
    """The keyring after giving `party` a new key (`always`), or a first key if it has none.
    Raises CryptoError for an `active_from` before now or before the party's newest key."""
    master = _master(settings)
    overlap = transport_overlap(settings.retention_policy)

    def change(keyring: TransportKeyring) -> TransportKeyring:
        if keyring.of(party) and not always:
            return keyring
        return issue(keyring, master, party, now=now, active_from=active_from, overlap=overlap)[0]

    return change_keyring(settings.transport_keyring_file(), change)


def make_bundle(settings: ServiceSettings, keyring: TransportKeyring, party: str, *, now: datetime) -> OnboardingBundle:
    """The bundle of `party` from `keyring`: every key that still opens, the party's broker
    credential and topics. Raises OnboardingError when the party has no broker credential yet."""
    if party == HUB_READER:
        raise OnboardingError("the hub's own key is not handed to a party")
    principal = party_principal(party)  # raises InvalidPartyCodeError for a code that is not a slug
    try:
        password = read_secret(settings.secret_file(principal))
    except SecretFileError:
        raise OnboardingError(
            f"{party} has no broker credential: admit it to the register, then run `zorgtafel security apply`"
        ) from None
    master, overlap = _master(settings), transport_overlap(settings.retention_policy)
    gone = {k.kid for k in expired(keyring, now, overlap=overlap)}
    keys = [k for k in keyring.of(party) if k.kid not in gone]
    if not keys:
        raise OnboardingError(f"{party} has no transport key yet")
    ca_file = Path(settings.kafka_access(principal).ca_file or "")
    return OnboardingBundle(
        party=party, environment=settings.environment, issued_at=now,
        transport_keys=tuple(_bundle_key(master, k, opened_until(keyring, k, overlap=overlap)) for k in keys),
        broker=BundleBroker(
            bootstrap_servers=settings.kafka_bootstrap_servers, username=principal, password=password,
            ca_certificate_pem=ca_file.read_text() if ca_file.is_file() else None,
        ),
        topics=BundleTopics(
            inbound=partner_inbound(party).named(settings.topic_prefix),
            inbox=partner_inbox(party).named(settings.topic_prefix),
            consumer_group_prefix=party_group_prefix(party, settings.consumer_group_prefix),
        ),
        documents={name: urljoin(settings.partner_contract_url, path) if settings.partner_contract_url else path
                   for name, path in DOCUMENTS.items()},
    )


def write_bundle(path: Path, bundle: OnboardingBundle) -> None:
    """0600, atomically: the bundle holds the party's keys and broker password."""
    write_secret(path, bundle.model_dump_json(indent=2))


def _bundle_key(master: MasterKey, key: TransportKey, until: datetime | None) -> BundleKey:
    return BundleKey(kid=key.kid, key=b64url_encode(unwrap(master, key)), active_from=key.active_from, opened_until=until)


def _master(settings: ServiceSettings) -> MasterKey:
    return MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
