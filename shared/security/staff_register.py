"""The staff register on disk and the staff members' private keys (covenant art. 12.2, 17).

The register is a JSON file of public keys (`StaffRegister`): nothing in it is secret, but
whoever can write it can make a staff member. So it is refused (`StaffRegisterError`) when group
or others may write it or its folder, when it belongs to someone other than this process's user
or root, and when its version is lower than one a service already judged by (a copy from before a
revocation put back). On one machine it lives in the state folder; on a cluster it is a read-only
mounted ConfigMap that the administrators change (docs/decisions/0010). Every change goes through
`enrol` or `revoke` under a file lock, is recorded in the register's own history, and lands by
atomic rename, so a service reading it never sees half a file.

A private key is a 0600 PEM file (PKCS#8) on the staff member's machine, read only through
`read_secret`, which refuses a key others could read.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key
from pydantic import ValidationError

from shared.contracts.staff import Role, StaffChange, StaffKey, StaffMember, StaffRegister, StaffRegisterChange
from shared.files import exclusive_lock
from shared.messaging.errors import UnusableConfigurationError
from shared.messaging.security import SecretFileError, read_secret, write_secret
from shared.security.staff_identity import key_id_of, raw_public_key

log = structlog.get_logger(__name__)
# How long a rotated key still verifies: commands signed just before the rotation are in flight.
ROTATION_OVERLAP = timedelta(minutes=10)


class StaffRegisterError(UnusableConfigurationError):
    """The staff register cannot be trusted or read (says why, never quotes its content). A
    service waits for it to be mended: the commands it would judge are retried, not lost."""


class StaffKeyError(RuntimeError):
    """This machine holds no usable private key for the staff member (says how to enrol)."""


def _unreadable(path: Path) -> StaffRegisterError:
    return StaffRegisterError(f"staff register {path} cannot be read")


def load_register(path: Path) -> StaffRegister:
    """The register in `path`; an empty register when there is no file (every staff command is
    then refused as `staff_unknown`). Raises StaffRegisterError when it cannot be trusted (see
    the module docstring) or is not a valid register."""
    try:
        info, folder = path.stat(), path.parent.stat()
    except FileNotFoundError:
        return StaffRegister()
    except OSError:
        raise _unreadable(path) from None
    if not stat.S_ISREG(info.st_mode):
        raise _unreadable(path)
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StaffRegisterError(f"staff register {path} is writable by others than its owner (chmod 644)")
    if folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not folder.st_mode & stat.S_ISVTX:
        raise StaffRegisterError(f"the folder of staff register {path} is writable by others (chmod 755)")
    if info.st_uid not in (0, os.geteuid()):
        raise StaffRegisterError(f"staff register {path} belongs to another user than this process's or root")
    try:
        return StaffRegister.model_validate_json(path.read_bytes())
    except ValidationError:
        raise StaffRegisterError(f"staff register {path} is not a valid staff register") from None
    except OSError:
        raise _unreadable(path) from None


class RegisterFile:
    """The register a service judges by: re-read whenever the file changed (a revocation takes
    effect with the next command; a chmod is a change too), otherwise the copy in memory. Raises
    StaffRegisterError while the file cannot be trusted, and for a version lower than the highest
    this process judged by: a rollback could bring a revoked key back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, ...] | None = None
        self._register = StaffRegister()
        self._highest = 0

    def current(self) -> StaffRegister:
        try:
            info, folder = self.path.stat(), self.path.parent.stat()
            seen: tuple[int, ...] = (info.st_ino, info.st_mtime_ns, info.st_size, info.st_mode, info.st_uid, folder.st_mode)
        except FileNotFoundError:
            seen = ()
        except OSError:
            raise _unreadable(self.path) from None
        if seen != self._seen:
            self._seen = None  # until this version is accepted, it is read again every time
            register = load_register(self.path)
            if register.version < self._highest:
                raise StaffRegisterError(
                    f"staff register {self.path} is version {register.version}, older than version "
                    f"{self._highest} in force (a copy put back?)"
                )
            if self._highest and register.version > self._highest:
                log.info("staff_register.changed", version=register.version, changes=[
                    c.model_dump(mode="json") for c in register.history if c.version > self._highest
                ])
            self._register, self._seen, self._highest = register, seen, register.version
        return self._register


def _save(path: Path, register: StaffRegister) -> None:
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(register.model_dump_json(indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(fresh, 0o644)  # whatever the umask: readable by the services, writable by its owner
    os.replace(fresh, path)


Change = Callable[[StaffRegister], tuple[StaffRegister, list[StaffRegisterChange]]]


def _change(path: Path, change: Change) -> StaffRegister:
    """Apply `change` (the new register and what changed, for the history) under the lock."""
    with exclusive_lock(path):
        before = load_register(path)
        after, changes = change(before)
        if after != before:
            version = before.version + 1
            history = (*before.history, *(c.model_copy(update={"version": version}) for c in changes))
            after = after.model_copy(update={"version": version, "history": history})
            _save(path, after)
        return after


def _with_member(register: StaffRegister, member: StaffMember) -> StaffRegister:
    others = tuple(m for m in register.staff if m.staff_id != member.staff_id)
    return register.model_copy(update={"staff": (*others, member)})


def _history(at: datetime, staff_id: str, change: StaffChange, key_id: str | None = None) -> StaffRegisterChange:
    return StaffRegisterChange(version=0, at=at, staff_id=staff_id, change=change, key_id=key_id)  # version: on save


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`. Raises StaffKeyError when it is missing, readable by others
    or not an Ed25519 key."""
    if not path.is_file():
        raise StaffKeyError(f"no key for this staff member on this machine ({path}): zorgtafel staff enrol <staff-id>")
    try:
        key = load_pem_private_key(read_secret(path).encode(), password=None)
    except SecretFileError:
        raise StaffKeyError(f"staff key {path} is readable by others than its owner (chmod 600)") from None
    except ValueError:
        raise StaffKeyError(f"{path} holds no readable private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise StaffKeyError(f"{path} holds no Ed25519 key")
    return key


def enrol(
    register_path: Path, key_path: Path, staff_id: str, roles: tuple[Role, ...] | None, *, now: datetime,
    valid_for: timedelta, new_key: bool = False,
) -> StaffKey:
    """Enrol `staff_id` with `roles` (None: as before, or procesregisseur when new).

    A new staff member gets a key pair: the private key is written to `key_path` (0600), the
    public key joins the register, valid from `now` for `valid_for`. Enrolling again while the
    private key at `key_path` is valid changes only the roles. Anything else that would replace a
    key needs `new_key`, so no key is replaced by mistake: a member whose valid key is on another
    machine, or whose keys were revoked or expired, gets StaffRegisterError saying so. `new_key`
    rotates: a new pair; the member's other keys stay valid for ROTATION_OVERLAP only (revoked
    keys stay revoked)."""
    existing = _local_key_id(key_path)

    def change(register: StaffRegister) -> tuple[StaffRegister, list[StaffRegisterChange]]:
        known = register.member(staff_id)
        member = known or StaffMember(staff_id=staff_id, roles=roles or ("procesregisseur",))
        current = existing is not None and any(k.key_id == existing and k.valid_at(now) for k in member.keys)
        if known is not None and not current and not new_key:
            if any(k.valid_at(now) for k in member.keys):
                raise StaffRegisterError(f"{staff_id} has a valid key already (on another machine?): --new-key replaces it")
            raise StaffRegisterError(f"{staff_id}'s keys are revoked or expired: --new-key gives a new one")
        keys, changes = member.keys, []
        if new_key or not current:
            fresh = Ed25519PrivateKey.generate()  # a revoked or expired key never comes back
            write_secret(key_path, fresh.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode().strip())
            cut = now + ROTATION_OVERLAP
            keys = tuple(
                k if k.valid_until is not None and k.valid_until <= cut else k.model_copy(update={"valid_until": cut})
                for k in keys
            ) + (StaffKey(
                key_id=key_id_of(fresh.public_key()),
                public_key=base64.b64encode(raw_public_key(fresh.public_key())).decode(),
                valid_from=now,
                valid_until=now + valid_for,
            ),)
            changes.append(_history(now, staff_id, "enrolled" if known is None else "new-key", keys[-1].key_id))
        if known is not None and roles and tuple(roles) != known.roles:
            changes.append(_history(now, staff_id, "roles-changed"))
        return _with_member(register, member.model_copy(update={"roles": roles or member.roles, "keys": keys})), changes

    register = _change(register_path, change)
    key_id = _local_key_id(key_path)
    found = register.member(staff_id)
    key = found.key(key_id) if found is not None and key_id is not None else None
    if key is None:  # another enrolment of the same staff id raced this one on this machine
        raise StaffRegisterError("the register does not hold this machine's key; enrol again")
    return key


def ensure_enrolled(
    register_path: Path, key_path: Path, staff_id: str, roles: tuple[Role, ...], *, now: datetime, valid_for: timedelta
) -> StaffKey:
    """For a tool that is its own staff member (the demo, the tests): enrolled with a valid key
    on this machine, with a new key when the one it had expired or was revoked."""
    try:
        return enrol(register_path, key_path, staff_id, roles, now=now, valid_for=valid_for)
    except StaffRegisterError:
        return enrol(register_path, key_path, staff_id, roles, now=now, valid_for=valid_for, new_key=True)


def revoke(register_path: Path, staff_id: str, *, now: datetime) -> StaffRegister:
    """Revoke every key of `staff_id` from `now` on (a staff member leaves, a key is lost). The
    member stays in the register, so records that name them keep a meaning. Raises
    StaffRegisterError for a staff id the register does not hold."""

    def change(register: StaffRegister) -> tuple[StaffRegister, list[StaffRegisterChange]]:
        member = register.member(staff_id)
        if member is None:
            raise StaffRegisterError("no such staff member in the register")
        keys = tuple(k if k.revoked_at is not None else k.model_copy(update={"revoked_at": now}) for k in member.keys)
        return _with_member(register, member.model_copy(update={"keys": keys})), [_history(now, staff_id, "revoked")]

    return _change(register_path, change)


def _local_key_id(key_path: Path) -> str | None:
    return key_id_of(load_signing_key(key_path).public_key()) if key_path.exists() else None
