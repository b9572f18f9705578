"""Sealed values: what event payloads and database columns carry instead of clear personal data.

A `Sealed` value is AES-256-GCM ciphertext plus the id of the key that opens it. Authenticated
data (`aad`) binds it to where it belongs (a case and a field), so a sealed value copied into
another case or field does not open. Errors never carry plaintext or key material: they end up
in logs and traces, which must stay free of personal data.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Literal, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)

KEY_BYTES = 32
NONCE_BYTES = 12
_B64URL = r"^[A-Za-z0-9_-]+$"


class CryptoError(Exception):
    """Base of every error of this package; messages never contain plaintext or keys."""


class DecryptionError(CryptoError):
    """Wrong key, wrong authenticated data, or a tampered value: the three are indistinguishable."""


class Sealed(BaseModel):
    """An encrypted field. `nonce` and `ct` (ciphertext and tag) are base64url without padding."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alg: Literal["A256GCM"] = "A256GCM"
    kid: str = Field(min_length=1, max_length=200)
    nonce: str = Field(pattern=_B64URL)
    ct: str = Field(pattern=_B64URL)


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise CryptoError("key must be 32 bytes")
    return AESGCM(key)


def seal(plaintext: bytes, key: bytes, *, kid: str, aad: bytes) -> Sealed:
    # A fresh random nonce per value: GCM loses confidentiality if a nonce repeats under one key.
    nonce = os.urandom(NONCE_BYTES)
    ct = _aead(key).encrypt(nonce, plaintext, aad)
    return Sealed(kid=kid, nonce=b64url_encode(nonce), ct=b64url_encode(ct))


def open_sealed(sealed: Sealed, key: bytes, *, aad: bytes) -> bytes:
    aead = _aead(key)
    # Raised outside the `except` blocks so the exception has no __context__ that could leak.
    try:
        nonce, ct = b64url_decode(sealed.nonce), b64url_decode(sealed.ct)
    except (binascii.Error, ValueError):
        nonce = ct = b""
    if len(nonce) == NONCE_BYTES:
        try:
            return aead.decrypt(nonce, ct, aad)
        except InvalidTag:
            pass
    raise DecryptionError("sealed value could not be opened")


def seal_text(text: str, key: bytes, *, kid: str, aad: bytes) -> Sealed:
    return seal(text.encode("utf-8"), key, kid=kid, aad=aad)


def open_text(sealed: Sealed, key: bytes, *, aad: bytes) -> str:
    raw = open_sealed(sealed, key, aad=aad)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass  # its message quotes plaintext bytes
    raise CryptoError("opened value is not text")


def seal_model(model: BaseModel, key: bytes, *, kid: str, aad: bytes) -> Sealed:
    return seal(model.model_dump_json().encode("utf-8"), key, kid=kid, aad=aad)


def open_model(sealed: Sealed, key: bytes, model_cls: type[M], *, aad: bytes) -> M:
    raw = open_sealed(sealed, key, aad=aad)
    try:
        return model_cls.model_validate_json(raw)
    except ValidationError:
        pass  # pydantic's message quotes the input, i.e. the plaintext
    raise CryptoError(f"opened value is not a valid {model_cls.__name__}")
