"""Sealing, key wrapping and key derivation, without infrastructure."""

import base64
import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.crypto import (
    CryptoError,
    DecryptionError,
    MasterKey,
    Sealed,
    case_aad,
    case_kid,
    new_data_key,
    open_model,
    open_sealed,
    open_text,
    party_key,
    party_kid,
    seal,
    seal_model,
    seal_text,
    unwrap_data_key,
    wrap_data_key,
)

# A recognisable stand-in for personal data (the family name seeded in the e2e tests).
SEEDED_FAMILY_NAME = "Oosterhout-Testpersoon"
CASE = uuid.UUID("6f1c2b8e-0d7a-4a51-9a3e-2c1f0b9d8e77")
KEY = new_data_key()
MASTER = MasterKey("local-1", bytes(range(32)))
AAD = case_aad(CASE, "family_name")


class Person(BaseModel):
    family_name: str
    date_of_birth: date


class Other(BaseModel):
    badge_number: int


def flip_first_bit(text: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[0] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_bytes_text_and_models_come_back_as_they_were_sealed() -> None:
    person = Person(family_name=SEEDED_FAMILY_NAME, date_of_birth=date(1998, 3, 14))
    kid = case_kid(CASE)
    assert open_sealed(seal(b"\x00\xffraw", KEY, kid=kid, aad=AAD), KEY, aad=AAD) == b"\x00\xffraw"
    assert open_text(seal_text("Zoë – Markt", KEY, kid=kid, aad=AAD), KEY, aad=AAD) == "Zoë – Markt"
    assert open_model(seal_model(person, KEY, kid=kid, aad=AAD), KEY, Person, aad=AAD) == person


def test_a_sealed_value_names_its_key_and_algorithm_but_carries_no_plaintext() -> None:
    sealed = seal_text(SEEDED_FAMILY_NAME, KEY, kid=case_kid(CASE), aad=AAD)
    as_json = sealed.model_dump_json()
    assert (sealed.alg, sealed.kid) == ("A256GCM", f"case:{CASE}")
    assert SEEDED_FAMILY_NAME not in as_json
    assert SEEDED_FAMILY_NAME.encode().hex() not in as_json
    assert Sealed.model_validate_json(as_json) == sealed


def test_sealing_the_same_text_twice_gives_different_nonces_and_ciphertexts() -> None:
    first, second = (seal_text(SEEDED_FAMILY_NAME, KEY, kid="k", aad=AAD) for _ in range(2))
    assert first.nonce != second.nonce
    assert first.ct != second.ct


def test_a_sealed_value_accepts_no_other_algorithm_and_no_extra_fields() -> None:
    sealed = seal_text("x", KEY, kid="k", aad=AAD).model_dump()
    with pytest.raises(ValidationError):
        Sealed.model_validate({**sealed, "alg": "none"})
    with pytest.raises(ValidationError):
        Sealed.model_validate({**sealed, "plaintext": "x"})


def test_the_wrong_key_does_not_open_a_sealed_value() -> None:
    sealed = seal_text(SEEDED_FAMILY_NAME, KEY, kid="k", aad=AAD)
    with pytest.raises(DecryptionError):
        open_text(sealed, new_data_key(), aad=AAD)


def test_a_sealed_value_does_not_open_in_another_case_or_field() -> None:
    sealed = seal_text(SEEDED_FAMILY_NAME, KEY, kid="k", aad=AAD)
    with pytest.raises(DecryptionError):
        open_text(sealed, KEY, aad=case_aad(uuid.uuid4(), "family_name"))
    with pytest.raises(DecryptionError):
        open_text(sealed, KEY, aad=case_aad(CASE, "given_name"))


@pytest.mark.parametrize("part", ["ct", "nonce"])
def test_a_tampered_sealed_value_does_not_open(part: str) -> None:
    sealed = seal_text(SEEDED_FAMILY_NAME, KEY, kid="k", aad=AAD)
    tampered = sealed.model_copy(update={part: flip_first_bit(getattr(sealed, part))})
    with pytest.raises(DecryptionError):
        open_text(tampered, KEY, aad=AAD)


def test_a_truncated_nonce_is_refused_as_undecryptable() -> None:
    sealed = seal_text(SEEDED_FAMILY_NAME, KEY, kid="k", aad=AAD)
    with pytest.raises(DecryptionError):
        open_text(sealed.model_copy(update={"nonce": sealed.nonce[:8]}), KEY, aad=AAD)


def test_errors_while_opening_never_quote_the_plaintext() -> None:
    person = Person(family_name=SEEDED_FAMILY_NAME, date_of_birth=date(1998, 3, 14))
    sealed = seal_model(person, KEY, kid="k", aad=AAD)
    failures = []
    for attempt in (
        lambda: open_model(sealed, KEY, Other, aad=AAD),  # pydantic's own error would quote the input
        lambda: open_model(sealed, new_data_key(), Person, aad=AAD),
        lambda: open_model(sealed, KEY, Person, aad=b"other"),
    ):
        with pytest.raises(CryptoError) as caught:
            attempt()
        failures.append(caught.value)
    for exc in failures:
        assert SEEDED_FAMILY_NAME not in str(exc)
        assert exc.__cause__ is None and exc.__context__ is None


def test_bytes_that_are_not_utf8_are_refused_as_text_without_quoting_them() -> None:
    sealed = seal(b"\xffOosterhout", KEY, kid="k", aad=AAD)
    with pytest.raises(CryptoError) as caught:
        open_text(sealed, KEY, aad=AAD)
    assert "Oosterhout" not in str(caught.value) and caught.value.__context__ is None


@given(plaintext=st.binary(max_size=4096), field=st.text(max_size=64))
def test_any_plaintext_in_any_field_comes_back_unchanged(plaintext: bytes, field: str) -> None:
    aad = case_aad(CASE, field)
    assert open_sealed(seal(plaintext, KEY, kid=case_kid(CASE), aad=aad), KEY, aad=aad) == plaintext


def test_a_wrapped_data_key_unwraps_for_its_own_case_only() -> None:
    wrapped = wrap_data_key(MASTER, KEY, case_id=CASE)
    assert KEY not in wrapped
    assert unwrap_data_key(MASTER, wrapped, case_id=CASE) == KEY
    with pytest.raises(DecryptionError):
        unwrap_data_key(MASTER, wrapped, case_id=uuid.uuid4())


def test_a_wrapped_data_key_does_not_unwrap_under_another_master_key() -> None:
    wrapped = wrap_data_key(MASTER, KEY, case_id=CASE)
    with pytest.raises(DecryptionError):
        unwrap_data_key(MasterKey("local-1", bytes(32)), wrapped, case_id=CASE)


def test_party_keys_are_stable_per_party_and_differ_between_parties() -> None:
    police = party_key(MASTER, "politie-oost-brabant")
    assert len(police) == 32
    assert police == party_key(MASTER, "politie-oost-brabant")
    assert police != party_key(MASTER, "coa-budel")
    assert police != party_key(MasterKey("local-2", bytes(32)), "politie-oost-brabant")
    assert party_kid("coa-budel") == "party:coa-budel"


def test_a_master_key_is_read_from_base64_and_must_be_32_bytes() -> None:
    raw = bytes(range(32))
    assert MasterKey.from_base64("m", base64.b64encode(raw).decode()).key == raw
    assert MasterKey.from_base64("m", base64.urlsafe_b64encode(raw).rstrip(b"=").decode()).key == raw
    short = base64.b64encode(b"secret-key-bytes").decode()
    with pytest.raises(CryptoError, match="must be 32 bytes") as caught:
        MasterKey.from_base64("m", short)
    assert short not in str(caught.value)
    with pytest.raises(CryptoError, match="not valid base64"):
        MasterKey.from_base64("m", "not base64 at all!")


def test_a_master_key_never_shows_its_bytes_in_its_repr() -> None:
    shown = repr(MASTER)
    assert "local-1" in shown
    assert repr(MASTER.key) not in shown and base64.b64encode(MASTER.key).decode() not in shown
