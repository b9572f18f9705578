"""Signing and judging what staff do: pure functions, no I/O (covenant art. 12.2, 17, Bijlage 3).

The signed bytes of a command (docs/decisions/0010-staff-identity.md) are

    b"zorgtafel.staff-command.v1\\n" + topic + b"\\n" + canonical JSON of the command without `proof`

and of a staff member's own access record (a look into a dossier, NEN 7513) the same with the tag
`zorgtafel.staff-record.v1` and the audit topic: a signature for one is never valid for the other.

The canonical JSON is that of the JSON object as sent (RFC 8785, JCS: sorted keys, no whitespace,
UTF-8; our messages carry no floating-point numbers), never a re-serialization by the receiver's
model: a receiver that knows a newer or older version of the contract still checks the bytes the
signer meant, and a signer in any language reproduces them from its own JSON.

where the topic is the command topic's name on the broker (with the environment's prefix), so a
command signed for one environment or service is worthless on another, and the canonical JSON
is the command's JSON form with sorted keys, no whitespace and UTF-8 text. The command id is
inside it: a copy of a signed command is a redelivery, which every service's inbox drops.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel

from shared.contracts.audit import AccessRecorded
from shared.contracts.staff import RefusalReason, Role, StaffCommand, StaffMember, StaffProof, StaffRegister
from shared.contracts.topics import (
    AUDIT_EVENTS,
    INTAKE_COMMANDS,
    MEETING_COMMANDS,
    RETENTION_COMMANDS,
    TRIAGE_COMMANDS,
    Topic,
)

COMMAND_TAG = b"zorgtafel.staff-command.v1\n"
RECORD_TAG = b"zorgtafel.staff-record.v1\n"
# The fields in which a command names the staff member who issued it; each must be the signer.
ACTOR_FIELDS = ("decided_by", "asked_by", "by", "requested_by")
# Which command topic and which role each command family needs (art. 12.2: the Procesregisseur's
# tasks; art. 20.4, 21.3, 23.2: register changes, carried out by the Managers).
_FAMILIES: dict[str, tuple[Topic, Role]] = {
    "intake": (INTAKE_COMMANDS, "procesregisseur"),
    "triage": (TRIAGE_COMMANDS, "procesregisseur"),
    "meeting": (MEETING_COMMANDS, "procesregisseur"),
    "retention": (RETENTION_COMMANDS, "procesregisseur"),
    "register": (INTAKE_COMMANDS, "manager"),
}
# A command issued this far in the future is refused (clocks disagree by seconds, not minutes).
CLOCK_SKEW = timedelta(minutes=5)


class UnknownCommandFamilyError(ValueError):
    """A command type whose family (the part before the first dot) has no staff command topic."""


def command_topic(command_type: str) -> Topic:
    """The topic a staff command goes to, by its type's family (`intake.accept-referral` → intake's
    command topic; register changes go to intake, the register's keeper). Raises
    UnknownCommandFamilyError for a family without one."""
    try:
        return _FAMILIES[command_type.split(".", 1)[0]][0]
    except KeyError:
        raise UnknownCommandFamilyError("no staff command topic for this command type") from None


def required_role(command_type: str) -> Role:
    """The role a staff member needs for this command (art. 12.2; art. 20.4, 21.3, 23.2)."""
    try:
        return _FAMILIES[command_type.split(".", 1)[0]][1]
    except KeyError:
        raise UnknownCommandFamilyError("no staff command topic for this command type") from None


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """16 hex characters: the first 8 bytes of SHA-256 over the 32 raw bytes of the key."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed_bytes(wire: Mapping[str, Any], topic: str, tag: bytes = COMMAND_TAG) -> bytes:
    """What a staff member's signature covers: `wire` is the message's JSON object as sent (see the
    module docstring); its `proof` member is left out."""
    body = {k: v for k, v in wire.items() if k != "proof"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return tag + topic.encode() + b"\n" + canonical.encode()


def _proof(message: BaseModel, staff_id: str, key: Ed25519PrivateKey, topic: str, tag: bytes) -> StaffProof:
    # The JSON object this message is sent as (model_dump_json writes the same values).
    signature = base64.b64encode(key.sign(signed_bytes(message.model_dump(mode="json"), topic, tag))).decode()
    return StaffProof(staff_id=staff_id, key_id=key_id_of(key.public_key()), signature=signature)


def sign(command: StaffCommand, staff_id: str, key: Ed25519PrivateKey, topic_prefix: str) -> StaffCommand:
    """`command` with the proof of `staff_id`, signed for its topic in this environment."""
    topic = command_topic(command.command_type).named(topic_prefix)
    return command.model_copy(update={"proof": _proof(command, staff_id, key, topic, COMMAND_TAG)})


def sign_record(record: AccessRecorded, key: Ed25519PrivateKey, topic_prefix: str) -> AccessRecorded:
    """A staff member's access record signed by its actor, for the audit topic of this environment."""
    proof = _proof(record, record.actor, key, AUDIT_EVENTS.named(topic_prefix), RECORD_TAG)
    return record.model_copy(update={"proof": proof})


def _signed_by_member(
    proof: StaffProof | None, register: StaffRegister, *, at: datetime, signed: Callable[[], bytes]
) -> tuple[StaffProof, StaffMember] | RefusalReason:
    """The proof and its signer when `signed()` carries a valid signature by a key the register
    gives the proof's staff member, valid `at`; otherwise the first reason it fails."""
    if proof is None:
        return "proof_missing"
    member = register.member(proof.staff_id)
    if member is None:
        return "staff_unknown"
    key = member.key(proof.key_id)
    if key is None:
        return "key_unknown"
    if not key.valid_at(at):
        return "key_not_valid"
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key, validate=True))
        public.verify(base64.b64decode(proof.signature, validate=True), signed())
    except (InvalidSignature, ValueError, binascii.Error):
        return "signature_invalid"
    return proof, member


def judge_proof(
    command: StaffCommand, wire: Mapping[str, Any], register: StaffRegister, *, topic_prefix: str, now: datetime,
    max_age: timedelta,
) -> RefusalReason | None:
    """None when `command` (read from the JSON object `wire`) was signed by a staff member of
    `register` with a key valid `now`, for this command on its topic, by someone who may issue it
    and is the one it names; otherwise the first reason it fails, in the order of the checks (the
    signature before any claim it covers). Covenant art. 12.2 (who may decide), art. 17
    (integrity), Bijlage 3 (who did it is logged)."""
    topic = command_topic(command.command_type).named(topic_prefix)
    found = _signed_by_member(command.proof, register, at=now, signed=lambda: signed_bytes(wire, topic))
    if isinstance(found, str):
        return found
    proof, member = found
    if any(getattr(command, f, proof.staff_id) != proof.staff_id for f in ACTOR_FIELDS):
        return "identity_mismatch"
    if required_role(command.command_type) not in member.roles:
        return "role_not_allowed"
    if not now - max_age <= command.issued_at <= now + CLOCK_SKEW:
        return "not_fresh"
    return None


def judge_record(
    record: AccessRecorded, wire: Mapping[str, Any], register: StaffRegister, *, topic_prefix: str
) -> RefusalReason | None:
    """None when a staff member's access record was signed by the staff member it names, with a
    key of `register` valid when the look happened, in a role the register gives them; otherwise
    why not (the reasons of `judge_proof`); `wire` is the record's JSON object as received. NEN 7513 ch. 7 and Bijlage 3: the access log names the
    employee who looked, so that name must be proved."""
    topic = AUDIT_EVENTS.named(topic_prefix)
    found = _signed_by_member(record.proof, register, at=record.occurred_at, signed=lambda: signed_bytes(wire, topic, RECORD_TAG))
    if isinstance(found, str):
        return found
    proof, member = found
    if record.actor != proof.staff_id:
        return "identity_mismatch"
    if record.role not in member.roles:
        return "role_not_allowed"
    return None
