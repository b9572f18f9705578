"""The staff register on disk and the staff members' private keys (covenant art. 12.2, 17).

The register is a JSON file of public keys (`StaffRegister`): nothing in it is secret, but
whoever can write it can make a staff member, so it must not be writable by group or others
(`StaffRegisterError` otherwise). On one machine it lives in the state folder; on a cluster it is
a read-only mounted ConfigMap that the administrators change (docs/decisions/0010). Every change
goes through `enrol` or `revoke` under a file lock and lands by atomic rename, so a service
reading it never sees half a file.

A private key is a 0600 PEM file (PKCS#8) on the staff member's machine, read only through
`read_secret`, which refuses a key others could read.
"""

from __future__ import annotations

import base64
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key
from pydantic import ValidationError

from shared.contracts.staff import Role, StaffKey, StaffMember, StaffRegister
from shared.messaging.security import SecretFileError, read_secret, write_secret
from shared.security.staff_identity import key_id_of, raw_public_key

# How long a rotated key still verifies: commands signed just before the rotation are in flight.
ROTATION_OVERLAP = timedelta(minutes=10)


class StaffRegisterError(RuntimeError):
    """The staff register cannot be trusted or read (says why, never quotes its content)."""


class StaffKeyError(RuntimeError):
    """This machine holds no usable private key for the staff member (says how to enrol)."""


def load_register(path: Path) -> StaffRegister:
    """The register in `path`; an empty register when there is no file (every staff command is
    then refused as `staff_unknown`). Raises StaffRegisterError when group or others may write it
    or it is not a valid register."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return StaffRegister()
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StaffRegisterError(f"staff register {path} is writable by others than its owner (chmod 644)")
    try:
        return StaffRegister.model_validate_json(path.read_bytes())
    except ValidationError:
        raise StaffRegisterError(f"staff register {path} is not a valid staff register") from None


class RegisterFile:
    """The register a service judges by: re-read whenever the file changed (a revocation takes
    effect with the next command), otherwise the copy in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._register = StaffRegister()

    def current(self) -> StaffRegister:
        try:
            info = self.path.stat()
            signature = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            signature = (0, 0, 0)
        if signature != self._seen:
            self._register, self._seen = load_register(self.path), signature
        return self._register


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _save(path: Path, register: StaffRegister) -> None:
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(register.model_dump_json(indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(fresh, 0o644)  # whatever the umask: readable by the services, writable by its owner
    os.replace(fresh, path)


def _change(path: Path, change: Callable[[StaffRegister], StaffRegister]) -> StaffRegister:
    with _locked(path):
        before = load_register(path)
        after = change(before)
        if after != before:
            after = after.model_copy(update={"version": before.version + 1})
            _save(path, after)
        return after


def _with_member(register: StaffRegister, member: StaffMember) -> StaffRegister:
    others = tuple(m for m in register.staff if m.staff_id != member.staff_id)
    return register.model_copy(update={"staff": (*others, member)})


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`. Raises StaffKeyError when it is missing, readable by others
    or not an Ed25519 key."""
    try:
        key = load_pem_private_key(read_secret(path).encode(), password=None)
    except SecretFileError as exc:
        raise StaffKeyError(f"no usable staff key at {path} (zorgtafel staff enrol <staff-id>): {exc}") from None
    except ValueError:
        raise StaffKeyError(f"{path} holds no readable private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise StaffKeyError(f"{path} holds no Ed25519 key")
    return key


def enrol(
    register_path: Path, key_path: Path, staff_id: str, roles: tuple[Role, ...] | None, *, now: datetime,
    valid_for: timedelta, new_key: bool = False,
) -> StaffKey:
    """Enrol `staff_id` with `roles` (None: as before, or procesregisseur when new): a new key pair whose private key is written to `key_path`
    (0600) and whose public key joins the register, valid from `now` for `valid_for`. Idempotent:
    when the register holds a valid key that matches the private key already at `key_path`,
    only the roles are updated and that key is returned. `new_key` rotates: a new pair, and the
    staff member's other keys stay valid for ROTATION_OVERLAP only."""
    existing = _local_key_id(key_path) if not new_key else None

    def change(register: StaffRegister) -> StaffRegister:
        member = register.member(staff_id) or StaffMember(staff_id=staff_id, roles=roles or ("procesregisseur",))
        keys = member.keys
        if existing is None or not any(k.key_id == existing and k.valid_at(now) for k in keys):
            fresh = Ed25519PrivateKey.generate()  # a revoked or expired key never comes back
            pem = fresh.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
            write_secret(key_path, pem.strip())
            cut = now + ROTATION_OVERLAP
            keys = tuple(
                k if k.valid_until is not None and k.valid_until <= cut else k.model_copy(update={"valid_until": cut})
                for k in keys
            ) + (StaffKey(
                key_id=key_id_of(fresh.public_key()),
                public_key=_b64(raw_public_key(fresh.public_key())),
                valid_from=now,
                valid_until=now + valid_for,
            ),)
        return _with_member(register, member.model_copy(update={"roles": roles or member.roles, "keys": keys}))

    register = _change(register_path, change)
    key_id = _local_key_id(key_path)
    found = register.member(staff_id)
    key = found.key(key_id) if found is not None and key_id is not None else None
    if key is None:  # another enrolment of the same staff id raced this one on this machine
        raise StaffRegisterError("the register does not hold this machine's key; enrol again")
    return key


def revoke(register_path: Path, staff_id: str, *, now: datetime) -> StaffRegister:
    """Revoke every key of `staff_id` from `now` on (a staff member leaves, a key is lost). The
    member stays in the register, so records that name them keep a meaning. Raises
    StaffRegisterError for a staff id the register does not hold."""

    def change(register: StaffRegister) -> StaffRegister:
        member = register.member(staff_id)
        if member is None:
            raise StaffRegisterError("no such staff member in the register")
        keys = tuple(k if k.revoked_at is not None else k.model_copy(update={"revoked_at": now}) for k in member.keys)
        return _with_member(register, member.model_copy(update={"keys": keys}))

    return _change(register_path, change)


def _local_key_id(key_path: Path) -> str | None:
    return key_id_of(load_signing_key(key_path).public_key()) if key_path.exists() else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
