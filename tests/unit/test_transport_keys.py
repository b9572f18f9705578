"""A party's transport keys: issued per deployment, versioned, rotated without losing a message
(issue 12, deliverable 3; covenant art. 17)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.crypto import MasterKey, party_key, party_kid
from shared.crypto.sealing import CryptoError, DecryptionError
from shared.crypto.transport_keyring_file import (
    KeyringError,
    KeyringFile,
    TransportKeys,
    change_keyring,
    load_keyring,
    transport_overlap,
)
from shared.crypto.transport_keys import (
    TransportKeyError,
    TransportKeyring,
    issue,
    opening_key,
    sealing_key,
    unwrap,
)

MASTER = MasterKey("test-1", bytes(range(32)))
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OVERLAP = timedelta(days=15)
PARTY = "politie-oost-brabant"


def issued(keyring: TransportKeyring, party: str = PARTY, *, at: datetime = NOW, active_in: timedelta = timedelta(0)) -> TransportKeyring:
    return issue(keyring, MASTER, party, now=at, active_from=at + active_in, overlap=OVERLAP)[0]


def code_of(call: object) -> str:
    with pytest.raises(TransportKeyError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code


def test_issued_keys_are_random_numbered_per_party_and_stored_only_wrapped() -> None:
    keyring, first = issue(TransportKeyring(), MASTER, PARTY, now=NOW, active_from=NOW, overlap=OVERLAP)
    keyring, second = issue(keyring, MASTER, PARTY, now=NOW, active_from=NOW, overlap=OVERLAP)
    keyring, other = issue(keyring, MASTER, "coa-budel", now=NOW, active_from=NOW, overlap=OVERLAP)
    assert [k.kid for k in keyring.of(PARTY)] == [f"party:{PARTY}:1", f"party:{PARTY}:2"]
    assert len({first, second, other, party_key(MASTER, PARTY)}) == 4  # nothing derived
    assert [unwrap(MASTER, k) for k in keyring.of(PARTY)] == [first, second]
    assert first.hex() not in keyring.model_dump_json() and first not in keyring.model_dump_json().encode()
    assert [h.change for h in keyring.history] == ["issued"] * 3


def test_a_wrapped_key_does_not_open_under_another_master_key_or_another_kid() -> None:
    key = issued(TransportKeyring()).of(PARTY)[0]
    with pytest.raises(CryptoError):
        unwrap(MasterKey("test-2", bytes(32)), key)
    with pytest.raises(DecryptionError):
        unwrap(MasterKey("test-1", bytes(32)), key)  # the id matches, the key does not
    with pytest.raises(DecryptionError):
        unwrap(MASTER, key.model_copy(update={"number": 2}))  # moved to another kid


def test_the_hub_seals_with_the_newest_key_once_it_is_active() -> None:
    keyring = issued(issued(TransportKeyring()), at=NOW, active_in=timedelta(hours=24))
    assert sealing_key(keyring, PARTY, NOW).kid == f"party:{PARTY}:1"  # type: ignore[union-attr]
    assert sealing_key(keyring, PARTY, NOW + timedelta(hours=24)).kid == f"party:{PARTY}:2"  # type: ignore[union-attr]
    assert sealing_key(keyring, "coa-budel", NOW) is None


def test_a_party_may_use_its_new_key_at_once_and_its_old_one_until_the_overlap_ends() -> None:
    keyring = issued(issued(TransportKeyring()), active_in=timedelta(hours=24))
    old, new = f"party:{PARTY}:1", f"party:{PARTY}:2"
    assert opening_key(keyring, PARTY, new, NOW, overlap=OVERLAP).number == 2  # before it is active
    switched = NOW + timedelta(hours=24)
    assert opening_key(keyring, PARTY, old, switched + OVERLAP - timedelta(seconds=1), overlap=OVERLAP).number == 1
    assert code_of(lambda: opening_key(keyring, PARTY, old, switched + OVERLAP, overlap=OVERLAP)) == "transport_key_retired"


def test_a_party_cannot_use_another_partys_key_nor_one_never_issued() -> None:
    keyring = issued(issued(TransportKeyring()), "coa-budel")
    assert code_of(lambda: opening_key(keyring, PARTY, "party:coa-budel:1", NOW, overlap=OVERLAP)) == "transport_key_not_yours"
    assert code_of(lambda: opening_key(keyring, PARTY, "party:coa-budel", NOW, overlap=OVERLAP)) == "transport_key_not_yours"
    for kid in (f"party:{PARTY}:2", f"party:{PARTY}:01", f"party:{PARTY}", "case:x", ""):
        assert code_of(lambda kid=kid: opening_key(keyring, PARTY, kid, NOW, overlap=OVERLAP)) == "transport_key_unknown"


def test_a_new_key_cannot_become_active_in_the_past_or_before_the_newest() -> None:
    keyring = issued(TransportKeyring(), active_in=timedelta(days=2))
    with pytest.raises(CryptoError):
        issue(keyring, MASTER, PARTY, now=NOW, active_from=NOW - timedelta(seconds=1), overlap=OVERLAP)
    with pytest.raises(CryptoError):
        issue(keyring, MASTER, PARTY, now=NOW, active_from=NOW + timedelta(days=1), overlap=OVERLAP)


def test_keys_past_their_overlap_are_destroyed_with_the_next_change() -> None:
    keyring = issued(issued(TransportKeyring()))
    later = NOW + OVERLAP + timedelta(days=1)
    keyring = issued(keyring, "coa-budel", at=later)
    assert [k.kid for k in keyring.of(PARTY)] == [f"party:{PARTY}:2"]
    assert [(h.kid, h.change) for h in keyring.history][-2:] == [(f"party:{PARTY}:1", "destroyed"), ("party:coa-budel:1", "issued")]


def test_the_overlap_covers_the_terms_of_transport_copies_and_dead_letters_plus_a_day() -> None:
    assert transport_overlap(None) == timedelta(days=15)  # both 14 days in the default policy


def keys(tmp_path: Path, environment: str, clock: datetime = NOW) -> TransportKeys:
    return TransportKeys(MASTER, KeyringFile(tmp_path / "keyring.json"), overlap=OVERLAP,
                         derive_unissued=environment == "local", clock=lambda: clock)


def test_a_local_run_derives_a_key_only_for_a_party_without_an_issued_one(tmp_path: Path) -> None:
    local = keys(tmp_path, "local")
    assert local.for_sealing(PARTY) == (party_kid(PARTY), party_key(MASTER, PARTY))
    assert local.for_opening(PARTY, party_kid(PARTY)) == party_key(MASTER, PARTY)
    change_keyring(tmp_path / "keyring.json", issued)
    kid, key = local.for_sealing(PARTY)
    assert kid == f"party:{PARTY}:1" and key != party_key(MASTER, PARTY)
    assert code_of(lambda: local.for_opening(PARTY, party_kid(PARTY))) == "transport_key_unknown"


def test_production_never_derives_a_key(tmp_path: Path) -> None:
    production = keys(tmp_path, "production")
    assert code_of(lambda: production.for_sealing(PARTY)) == "transport_key_unknown"
    assert code_of(lambda: production.for_opening(PARTY, party_kid(PARTY))) == "transport_key_unknown"
    change_keyring(tmp_path / "keyring.json", issued)
    assert production.for_opening(PARTY, f"party:{PARTY}:1") == production.for_sealing(PARTY)[1]


def test_a_running_service_sees_a_rotation_with_its_next_message(tmp_path: Path) -> None:
    service = keys(tmp_path, "production")
    change_keyring(tmp_path / "keyring.json", issued)
    assert service.for_sealing(PARTY)[0] == f"party:{PARTY}:1"
    change_keyring(tmp_path / "keyring.json", issued)
    assert service.for_sealing(PARTY)[0] == f"party:{PARTY}:2"


def test_the_keyring_file_is_0600_and_refused_when_others_may_read_it(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    change_keyring(path, issued)
    assert path.stat().st_mode & 0o777 == 0o600
    os.chmod(path, 0o640)
    with pytest.raises(KeyringError, match="readable by others"):
        load_keyring(path)
    with pytest.raises(KeyringError):
        keys(tmp_path, "production").for_sealing(PARTY)


def test_a_damaged_keyring_is_named_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text('{"format": "something else", "secret": "abc"}')
    os.chmod(path, 0o600)
    with pytest.raises(KeyringError) as raised:
        load_keyring(path)
    assert "abc" not in str(raised.value) and str(path) in str(raised.value)
