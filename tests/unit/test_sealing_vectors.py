"""The published sealing test vectors (docs/test-vectors/sealing.v1.json) are what docs/sealing.md
says, and the hub opens them: a partner's implementation that reproduces them interoperates."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.crypto import Sealed, open_sealed, seal
from shared.crypto.sealing import CryptoError

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "test-vectors" / "sealing.v1.json").read_text(encoding="utf-8")
)


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("vector", VECTORS["seal"], ids=lambda v: v["name"])
def test_each_vector_is_aes_256_gcm_of_its_plaintext_as_the_specification_says(vector: dict[str, Any]) -> None:
    key, nonce = bytes.fromhex(vector["key_hex"]), bytes.fromhex(vector["nonce_hex"])
    expected = AESGCM(key).encrypt(nonce, vector["plaintext"].encode("utf-8"), vector["aad"].encode("utf-8"))
    sealed = vector["sealed"]
    assert (len(key), len(nonce)) == (32, 12)
    assert (sealed["alg"], unb64(sealed["nonce"]), unb64(sealed["ct"])) == ("A256GCM", nonce, expected)
    assert "=" not in sealed["nonce"] + sealed["ct"]  # base64url without padding


@pytest.mark.parametrize("vector", VECTORS["seal"], ids=lambda v: v["name"])
def test_the_hub_opens_each_vector(vector: dict[str, Any]) -> None:
    opened = open_sealed(Sealed(**vector["sealed"]), bytes.fromhex(vector["key_hex"]), aad=vector["aad"].encode("utf-8"))
    assert opened.decode("utf-8") == vector["plaintext"]


@pytest.mark.parametrize("vector", VECTORS["must_not_open"], ids=lambda v: v["name"])
def test_the_hub_refuses_each_negative_vector(vector: dict[str, Any]) -> None:
    with pytest.raises(CryptoError):
        open_sealed(Sealed(**vector["sealed"]), bytes.fromhex(vector["key_hex"]), aad=vector["aad"].encode("utf-8"))


def test_what_the_hub_seals_opens_with_the_primitive_alone() -> None:
    """The reverse direction: a value the hub seals is opened by plain AES-256-GCM as specified."""
    key, aad = bytes(range(32)), b"zorgtafel:question:7d9c1b8e-3f2a-4e6b-8c1d-2a3b4c5d6e7f"
    sealed = seal(b"Sinds wanneer?", key, kid="party:politie-oost-brabant", aad=aad)
    assert AESGCM(key).decrypt(unb64(sealed.nonce), unb64(sealed.ct), aad) == b"Sinds wanneer?"
