"""The staff register and staff keys on disk: trusted only when only their owner can change
(register) or read (key) them; enrolment is idempotent (shared/security/staff_register.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.intake.config import IntakeSettings
from services.procesregisseur import Procesregisseur
from shared.security.staff_register import (
    RegisterFile,
    StaffKeyError,
    StaffRegisterError,
    enrol,
    load_register,
    revoke,
)

DAY = timedelta(days=1)


@pytest.fixture
def settings(tmp_path: Path) -> IntakeSettings:
    return IntakeSettings(state_dir=str(tmp_path))


def enrolled(settings: IntakeSettings, member: str = "pr-01", **options: object) -> str:
    key = enrol(settings.staff_register_file(), settings.staff_key_file(member), member, None,
                now=datetime.now(UTC), valid_for=DAY, **options)  # type: ignore[arg-type]
    return key.key_id


def test_no_register_file_is_an_empty_register_that_knows_nobody(settings: IntakeSettings) -> None:
    register = load_register(settings.staff_register_file())
    assert (register.version, register.staff) == (0, ())


def test_a_register_others_may_write_is_not_trusted(settings: IntakeSettings) -> None:
    enrolled(settings)
    os.chmod(settings.staff_register_file(), 0o666)
    with pytest.raises(StaffRegisterError, match="writable by others"):
        load_register(settings.staff_register_file())


def test_a_register_that_is_not_a_register_is_refused_without_quoting_it(settings: IntakeSettings) -> None:
    path = settings.staff_register_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "staff": "Jan Jansen"}')
    os.chmod(path, 0o644)
    with pytest.raises(StaffRegisterError) as raised:
        load_register(path)
    assert "Jan" not in str(raised.value)


def test_enrolling_again_keeps_the_key_and_counts_no_change(settings: IntakeSettings) -> None:
    first = enrolled(settings)
    version = load_register(settings.staff_register_file()).version
    assert enrolled(settings) == first
    assert load_register(settings.staff_register_file()).version == version
    assert settings.staff_key_file("pr-01").stat().st_mode & 0o777 == 0o600


def test_a_service_sees_a_revocation_without_restarting(settings: IntakeSettings) -> None:
    key_id = enrolled(settings)
    watched = RegisterFile(settings.staff_register_file())
    before = watched.current().member("pr-01")
    assert before is not None and before.key(key_id).valid_at(datetime.now(UTC))  # type: ignore[union-attr]
    revoke(settings.staff_register_file(), "pr-01", now=datetime.now(UTC))
    after = watched.current().member("pr-01")
    assert after is not None and not after.key(key_id).valid_at(datetime.now(UTC))  # type: ignore[union-attr]


def test_the_staff_tools_refuse_to_act_without_the_staff_members_own_key(settings: IntakeSettings) -> None:
    with pytest.raises(StaffKeyError, match="zorgtafel staff enrol"):
        Procesregisseur(settings, "pr-01")
    enrolled(settings)
    os.chmod(settings.staff_key_file("pr-01"), 0o644)
    with pytest.raises(StaffKeyError, match="readable by others"):
        Procesregisseur(settings, "pr-01")


def test_revoking_someone_the_register_does_not_hold_is_an_error(settings: IntakeSettings) -> None:
    with pytest.raises(StaffRegisterError):
        revoke(settings.staff_register_file(), "pr-99", now=datetime.now(UTC))


def test_enrolling_again_after_a_revocation_needs_a_new_key_and_never_reuses_the_old(settings: IntakeSettings) -> None:
    first = enrolled(settings)
    revoke(settings.staff_register_file(), "pr-01", now=datetime.now(UTC))
    with pytest.raises(StaffRegisterError, match="--new-key"):
        enrolled(settings)
    second = enrolled(settings, new_key=True)
    member = load_register(settings.staff_register_file()).member("pr-01")
    assert member is not None and second != first
    assert [k.key_id for k in member.keys if k.valid_at(datetime.now(UTC))] == [second]


def test_enrolling_on_a_second_machine_does_not_silently_replace_the_first_machines_key(
    settings: IntakeSettings, tmp_path: Path
) -> None:
    enrolled(settings)
    elsewhere = tmp_path / "laptop-2" / "pr-01.key"
    with pytest.raises(StaffRegisterError, match="valid key already"):
        enrol(settings.staff_register_file(), elsewhere, "pr-01", None, now=datetime.now(UTC), valid_for=DAY)
    assert not elsewhere.exists()


def test_every_change_of_the_register_is_in_its_history(settings: IntakeSettings) -> None:
    enrolled(settings)
    enrol(settings.staff_register_file(), settings.staff_key_file("pr-01"), "pr-01", ("procesregisseur", "manager"),
          now=datetime.now(UTC), valid_for=DAY)
    enrolled(settings, new_key=True)
    revoke(settings.staff_register_file(), "pr-01", now=datetime.now(UTC))
    register = load_register(settings.staff_register_file())
    assert [(c.version, c.change) for c in register.history] == [
        (1, "enrolled"), (2, "roles-changed"), (3, "new-key"), (4, "revoked"),
    ]


def test_a_service_refuses_an_older_register_put_back_over_a_revocation(settings: IntakeSettings) -> None:
    enrolled(settings)
    path = settings.staff_register_file()
    before = path.read_bytes()
    watched = RegisterFile(path)
    watched.current()
    revoke(path, "pr-01", now=datetime.now(UTC))
    assert watched.current().version == 2
    path.write_bytes(before)  # a backup from before the revocation
    with pytest.raises(StaffRegisterError, match="older than version 2"):
        watched.current()


def test_a_register_in_a_folder_others_may_write_is_not_trusted(settings: IntakeSettings) -> None:
    enrolled(settings)
    os.chmod(settings.staff_register_file().parent, 0o777)
    try:
        with pytest.raises(StaffRegisterError, match="folder"):
            load_register(settings.staff_register_file())
    finally:
        os.chmod(settings.staff_register_file().parent, 0o755)


def test_a_service_notices_a_chmod_that_makes_the_register_untrustworthy(settings: IntakeSettings) -> None:
    enrolled(settings)
    watched = RegisterFile(settings.staff_register_file())
    watched.current()
    os.chmod(settings.staff_register_file(), 0o666)
    with pytest.raises(StaffRegisterError, match="writable by others"):
        watched.current()


def test_a_register_that_cannot_be_trusted_is_transient_so_no_command_is_dead_lettered(settings: IntakeSettings) -> None:
    from shared.messaging.errors import Kind, kind_of

    path = settings.staff_register_file()
    path.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(StaffRegisterError) as raised:
        load_register(path)
    assert kind_of(raised.value) is Kind.TRANSIENT
