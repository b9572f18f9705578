"""The transport keyring on disk, and the keys a service seals and opens with (covenant art. 17).

The keyring is a 0600 JSON file (`<state_dir>/transport/keyring.json`, or `ZT_TRANSPORT_KEYRING`;
on a cluster a mounted Secret) holding every party's keys wrapped under the master key. It is
read like any secret (`read_secret`: refused when group or others may read it) and re-read when
it changed, so a rotation reaches a running service with its next message. Changes go through
`change_keyring` under a file lock and land by atomic rename.

Local runs only: a party without an issued key has one derived from the master key (HKDF,
docs/sealing.md), kid `party:<code>`, so the demo and the tests need no hand-over. In production
nothing is derived: a party without an issued key can neither send nor receive sealed data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.contracts.envelope import utcnow
from shared.crypto.keys import MasterKey, party_key, party_kid
from shared.crypto.transport_keys import (
    TransportKeyError,
    TransportKeyring,
    opening_key,
    sealing_key,
    unwrap,
)
from shared.files import exclusive_lock
from shared.messaging.errors import UnusableConfigurationError
from shared.messaging.security import SecretFileError, read_secret, write_secret
from shared.retention.categories import Category
from shared.retention.policy import MS_PER_DAY, load_policy


class KeyringError(UnusableConfigurationError):
    """The keyring cannot be read or trusted (names the path, never the content). Transient: the
    messages that need it wait until it is mended."""


def load_keyring(path: Path) -> TransportKeyring:
    """The keyring in `path`; empty when there is none. Raises KeyringError."""
    if not path.exists():
        return TransportKeyring()
    try:
        return TransportKeyring.model_validate_json(read_secret(path))
    except SecretFileError as exc:
        raise KeyringError(str(exc)) from None
    except (ValidationError, ValueError, OSError):
        raise KeyringError(f"transport keyring {path} is not a valid keyring") from None


def change_keyring(path: Path, change: Callable[[TransportKeyring], TransportKeyring]) -> TransportKeyring:
    """Apply `change` to the keyring under the file lock and save it (0600) if it changed."""
    with exclusive_lock(path):
        before = load_keyring(path)
        after = change(before)
        if after != before:
            write_secret(path, after.model_dump_json(indent=2))
        return after


class KeyringFile:
    """The keyring a service works with: re-read when the file changed, else the copy in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, ...] | None = None
        self._keyring = TransportKeyring()

    def current(self) -> TransportKeyring:
        try:
            info = self.path.stat()
            seen: tuple[int, ...] = (info.st_ino, info.st_mtime_ns, info.st_size, info.st_mode)
        except FileNotFoundError:
            seen = ()
        except OSError:
            raise KeyringError(f"transport keyring {self.path} cannot be read") from None
        if seen != self._seen:
            self._keyring, self._seen = load_keyring(self.path), seen
        return self._keyring


def transport_overlap(retention_policy: str | None) -> timedelta:
    """How long a replaced key still opens: the longest term a sealed copy can wait on a topic
    (transport copies, dead letters) plus the day a topic segment may outlive its term."""
    policy = load_policy(retention_policy)
    longest = max(policy.retention_ms(c) for c in (Category.TRANSPORT_COPIES, Category.DEAD_LETTERS))
    return timedelta(milliseconds=longest + MS_PER_DAY)


class TransportKeys:
    """Which key seals for a party and which opens what it sent (rules: shared/crypto/transport_keys.py)."""

    def __init__(
        self, master: MasterKey, keyring: KeyringFile, *, overlap: timedelta, derive_unissued: bool,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._master = master
        self._keyring = keyring
        self._overlap = overlap
        self._derive = derive_unissued
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Any, master: MasterKey) -> TransportKeys:
        return cls(
            master, KeyringFile(settings.transport_keyring_file()), overlap=transport_overlap(settings.retention_policy),
            derive_unissued=settings.environment == "local",
        )

    def for_sealing(self, party: str) -> tuple[str, bytes]:
        """(kid, key) for sealing what `party` will read. Raises TransportKeyError
        (`transport_key_unknown`) when the party has no key, KeyringError."""
        keyring = self._keyring.current()
        key = sealing_key(keyring, party, self._clock())
        if key is not None:
            return key.kid, unwrap(self._master, key)
        if self._derive and not keyring.of(party):
            return party_kid(party), party_key(self._master, party)
        raise TransportKeyError("transport_key_unknown")

    def for_opening(self, party: str, kid: str) -> bytes:
        """The key that opens what `party` sealed under `kid`. Raises TransportKeyError, KeyringError."""
        keyring = self._keyring.current()
        if self._derive and kid == party_kid(party) and not keyring.of(party):
            return party_key(self._master, party)
        return unwrap(self._master, opening_key(keyring, party, kid, self._clock(), overlap=self._overlap))
