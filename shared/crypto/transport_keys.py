"""Each party's transport keys: issued per deployment, versioned, rotated without losing a message.

A party seals what it sends with its transport key and reads what the hub seals for it with the
same key (docs/sealing.md). Covenant art. 17 (AVG art. 32: encryption, confidentiality) asks that
the key be the deployment's own, handed to the party alone: it is random, never derived from
anything built in, and kept in the keyring wrapped under the master key, so the keyring file on
its own reveals nothing.

Versions and rotation, as rules on the keyring (pure; no I/O here):

- Key n of a party has kid `party:<code>:<n>`. The hub **seals** for a party with its newest key
  whose `active_from` has passed: the party gets the new key before the hub starts using it.
- The hub **opens** with whatever key the kid names, if it is the sender's own: a party may switch
  to a new key as soon as it has it. An older key still opens until its successor has been active
  for the overlap (the term of transport copies and dead letters on the topics, plus a day), so a
  message sealed before the switch, in flight, parked, or replayed from a dead letter, still opens.
- A kid of another party is refused even if it would open: a party speaks only for itself.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

from shared.crypto.keys import MasterKey
from shared.crypto.sealing import KEY_BYTES, NONCE_BYTES, CryptoError, DecryptionError, b64url_decode, b64url_encode

KEYRING_FORMAT = "zorgtafel.transport-keyring.v1"
_WRAP_AAD = b"zorgtafel:transport-key:v1:"
_KID = re.compile(r"^party:([a-z0-9]+(?:-[a-z0-9]+)*):([1-9][0-9]{0,5})$")


class TransportKeyError(CryptoError):
    """A sealed value names a key the hub may not open it with; `code` is the rejection code."""

    def __init__(self, code: Literal["transport_key_unknown", "transport_key_retired", "transport_key_not_yours"]) -> None:
        super().__init__(code)
        self.code = code


class TransportKey(BaseModel):
    """Key `number` of `party`: 32 random bytes, stored wrapped (AES-256-GCM under the master key
    `master_key_id`, AAD `zorgtafel:transport-key:v1:<kid>`), base64url without padding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party: str
    number: int = Field(ge=1)
    master_key_id: str
    wrapped: str
    created_at: datetime
    active_from: datetime

    @property
    def kid(self) -> str:
        return kid_of(self.party, self.number)


class TransportKeyChange(BaseModel):
    """One line of the keyring's history: when a key was issued or destroyed, never its bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    kid: str
    change: Literal["issued", "destroyed"]
    active_from: datetime | None = None


class TransportKeyring(BaseModel):
    """Every party's transport keys in one deployment, and the history of changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["zorgtafel.transport-keyring.v1"] = KEYRING_FORMAT
    version: int = Field(default=0, ge=0)
    keys: tuple[TransportKey, ...] = ()
    history: tuple[TransportKeyChange, ...] = ()

    def of(self, party: str) -> list[TransportKey]:
        """The party's keys, oldest first."""
        return sorted((k for k in self.keys if k.party == party), key=lambda k: k.number)


def kid_of(party: str, number: int) -> str:
    return f"party:{party}:{number}"


def owner_of(kid: str) -> str | None:
    """The party a transport kid names (`party:<code>` or `party:<code>:<n>`); None for another form."""
    return kid.split(":")[1] if kid.startswith("party:") else None


def parse_kid(kid: str) -> tuple[str, int] | None:
    """(party, number) of a versioned transport kid; None for anything else."""
    match = _KID.fullmatch(kid)
    return (match.group(1), int(match.group(2))) if match else None


def sealing_key(keyring: TransportKeyring, party: str, now: datetime) -> TransportKey | None:
    """The key the hub seals with for `party` at `now`: its newest active key; None if none."""
    active = [k for k in keyring.of(party) if k.active_from <= now]
    return active[-1] if active else None


def opening_key(keyring: TransportKeyring, party: str, kid: str, now: datetime, *, overlap: timedelta) -> TransportKey:
    """The key named by `kid` in a message `party` sent, if the party may use it at `now`.

    Raises TransportKeyError: `transport_key_not_yours` (the kid names another party),
    `transport_key_unknown` (no such key), `transport_key_retired` (its successor has been active
    longer than `overlap`).
    """
    owner = owner_of(kid)
    if owner is not None and owner != party:
        raise TransportKeyError("transport_key_not_yours")
    parsed = parse_kid(kid)
    found = next((k for k in keyring.of(party) if parsed is not None and k.number == parsed[1]), None)
    if found is None:
        raise TransportKeyError("transport_key_unknown")
    if retired(keyring, found, now, overlap=overlap):
        raise TransportKeyError("transport_key_retired")
    return found


def opened_until(keyring: TransportKeyring, key: TransportKey, *, overlap: timedelta) -> datetime | None:
    """Until when the hub opens what a party sealed with `key`: its successor's activation plus the
    overlap; None while no successor is issued."""
    successors = [k for k in keyring.of(key.party) if k.number > key.number]
    return min(k.active_from for k in successors) + overlap if successors else None


def expired(keyring: TransportKeyring, now: datetime, *, overlap: timedelta) -> list[TransportKey]:
    """Keys no message may be opened with any more: the next change of the keyring destroys them."""
    return [key for key in keyring.keys if retired(keyring, key, now, overlap=overlap)]


def retired(keyring: TransportKeyring, key: TransportKey, now: datetime, *, overlap: timedelta) -> bool:
    """Whether `now` is past `opened_until` of `key`: the one statement of the retirement rule."""
    until = opened_until(keyring, key, overlap=overlap)
    return until is not None and now >= until


def issue(
    keyring: TransportKeyring, master: MasterKey, party: str, *, now: datetime, active_from: datetime, overlap: timedelta
) -> tuple[TransportKeyring, bytes]:
    """The keyring with a new key for `party` (its next number) and the new key's bytes.

    Keys that expired are destroyed (removed, with a history line) in the same change. Raises
    CryptoError when `active_from` is before `now` (a key must reach the party before the hub
    seals with it) or before the party's newest key becomes active.
    """
    keys = keyring.of(party)
    if active_from < now or (keys and active_from < keys[-1].active_from):
        raise CryptoError("a new key becomes active now or later, and not before the party's newest key")
    number = keys[-1].number + 1 if keys else 1
    raw = AESGCM.generate_key(bit_length=256)
    key = TransportKey(
        party=party, number=number, master_key_id=master.key_id, wrapped=_wrap(master, raw, kid_of(party, number)),
        created_at=now, active_from=active_from,
    )
    gone = {k.kid for k in expired(keyring, now, overlap=overlap)}
    history = [TransportKeyChange(at=now, kid=kid, change="destroyed") for kid in sorted(gone)]
    history.append(TransportKeyChange(at=now, kid=key.kid, change="issued", active_from=active_from))
    changed = keyring.model_copy(update={
        "version": keyring.version + 1,
        "keys": (*(k for k in keyring.keys if k.kid not in gone), key),
        "history": (*keyring.history, *history),
    })
    return changed, raw


def unwrap(master: MasterKey, key: TransportKey) -> bytes:
    """The key's 32 bytes. Raises CryptoError when it was wrapped under another master key, and
    DecryptionError when the wrapping does not open (a keyring edited by hand, a wrong master key)."""
    if key.master_key_id != master.key_id:
        raise CryptoError(f"transport key {key.kid} is wrapped under another master key")
    blob = b64url_decode(key.wrapped)
    try:
        raw = AESGCM(master.key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _WRAP_AAD + key.kid.encode())
    except (InvalidTag, ValueError):
        raw = None
    if raw is None or len(raw) != KEY_BYTES:
        raise DecryptionError(f"transport key {key.kid} could not be unwrapped")
    return raw


def _wrap(master: MasterKey, raw: bytes, kid: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return b64url_encode(nonce + AESGCM(master.key).encrypt(nonce, raw, _WRAP_AAD + kid.encode()))
