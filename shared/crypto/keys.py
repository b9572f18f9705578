"""Key handling: the master key wraps per-case data keys and derives per-party transport keys.

Personal data is sealed with a data key of its own case, never with the master key directly, so
one case can be shredded (its data key destroyed) without touching any other case.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto.sealing import KEY_BYTES, NONCE_BYTES, CryptoError, DecryptionError

_CASE_KEY_AAD = b"zorgtafel:case-key:v1:"
_PARTY_KEY_INFO = b"zorgtafel:party-transport-key:v1:"


@dataclass(frozen=True)
class MasterKey:
    """The hub's key-encryption key; `key_id` is stored beside every wrapped key for rotation."""

    key_id: str
    # Kept out of repr so that logging a settings object or a store never prints the key.
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise CryptoError("master key must be 32 bytes")
        if not 0 < len(self.key_id) <= 64:
            raise CryptoError("master key id must be 1 to 64 characters")

    @classmethod
    def from_base64(cls, key_id: str, b64: str) -> MasterKey:
        """Accepts standard and url-safe base64, padded or not."""
        text = b64.strip().replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            raise CryptoError("master key is not valid base64")
        return cls(key_id=key_id, key=raw)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _wrap_aad(case_id: UUID) -> bytes:
    # Binding the case id means a wrapped key moved to another case's row does not unwrap.
    return _CASE_KEY_AAD + case_id.bytes


def wrap_data_key(master: MasterKey, data_key: bytes, *, case_id: UUID) -> bytes:
    """Returns nonce || ciphertext-and-tag."""
    if len(data_key) != KEY_BYTES:
        raise CryptoError("data key must be 32 bytes")
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master.key).encrypt(nonce, data_key, _wrap_aad(case_id))


def unwrap_data_key(master: MasterKey, wrapped: bytes, *, case_id: UUID) -> bytes:
    nonce, ct = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    if len(nonce) == NONCE_BYTES:
        try:
            return AESGCM(master.key).decrypt(nonce, ct, _wrap_aad(case_id))
        except InvalidTag:
            pass  # raised below, outside the handler, so no exception context is attached
    raise DecryptionError("wrapped data key could not be unwrapped")


def party_key(master: MasterKey, party_code: str) -> bytes:
    """The key that seals fields sent to one party's inbox topic.

    In production each party's key is handed over out of band; deriving it from the master key
    keeps the local run self-contained. Distinct `info` per party gives independent keys.
    """
    if not party_code:
        raise CryptoError("party code must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_PARTY_KEY_INFO + party_code.encode())
    return hkdf.derive(master.key)


def case_kid(case_id: UUID) -> str:
    return f"case:{case_id}"


def party_kid(code: str) -> str:
    return f"party:{code}"


def case_aad(case_id: UUID, field: str) -> bytes:
    """Binds a sealed value to its case and field: it cannot be replayed into another."""
    return b"zorgtafel:" + case_id.bytes + b":" + field.encode("utf-8")
