"""A party's transport keys as its own system holds them (the client side of docs/sealing.md).

The party seals with its newest key (the hub opens a key as soon as it is issued) and opens what
the hub sealed with the key the value's `kid` names: during a rotation the hub may still seal
with the older one until the new one is active, and answers sealed before the switch are still
on the inbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from shared.contracts.onboarding import OnboardingBundle
from shared.crypto import MasterKey, party_key, party_kid
from shared.crypto.sealing import KEY_BYTES, b64url_decode
from shared.crypto.transport_keys import TransportKeyError, owner_of
from shared.messaging.security import SecretFileError, read_secret


class BundleError(ValueError):
    """An onboarding bundle that cannot be used (names the path, never a key)."""


@dataclass(frozen=True)
class PartnerKeys:
    """`keys`: kid -> 32 bytes; `current`: the kid it seals with. `any_kid_of_party`: a single key
    given without its kid (a key file) opens whatever kid of this party a value names."""

    party: str
    keys: Mapping[str, bytes] = field(repr=False)
    current: str
    any_kid_of_party: bool = False

    @classmethod
    def local(cls, party: str, master: MasterKey) -> PartnerKeys:
        """For the demo and tests: the key a local run derives for a party without an issued one."""
        return cls(party, {party_kid(party): party_key(master, party)}, party_kid(party))

    @classmethod
    def single(cls, party: str, key: bytes) -> PartnerKeys:
        return cls(party, {party_kid(party): key}, party_kid(party), any_kid_of_party=True)

    @classmethod
    def from_bundle(cls, bundle: OnboardingBundle) -> PartnerKeys:
        keys = {k.kid: b64url_decode(k.key) for k in bundle.transport_keys}
        if any(len(k) != KEY_BYTES for k in keys.values()):
            raise BundleError("a transport key in the bundle is not 32 bytes")
        return cls(bundle.party, keys, bundle.transport_keys[-1].kid)

    def for_sealing(self) -> tuple[str, bytes]:
        return self.current, self.keys[self.current]

    def for_opening(self, kid: str) -> bytes:
        """Raises TransportKeyError: the kid names another party, or a key this system lacks."""
        if owner_of(kid) not in (None, self.party):
            raise TransportKeyError("transport_key_not_yours")
        if kid in self.keys:
            return self.keys[kid]
        if self.any_kid_of_party and kid.startswith("party:"):
            return self.keys[self.current]
        raise TransportKeyError("transport_key_unknown")


def read_bundle(path: Path) -> OnboardingBundle:
    """The bundle in `path`, a 0600 file. Raises BundleError, SecretFileError."""
    try:
        return OnboardingBundle.model_validate_json(read_secret(path))
    except SecretFileError:
        raise
    except (ValidationError, ValueError, OSError):
        raise BundleError(f"{path} is not an onboarding bundle") from None
