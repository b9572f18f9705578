"""Staff identity: who issued a command, proved rather than claimed (covenant art. 12.2, 17;
Bijlage 3: which employee did what is logged).

A staff member (the Procesregisseur, a Manager acting for the Regionale Tafel) holds an Ed25519
key; its public half is in the staff register, which the hub's administrators keep. Every
command of the staff tools (`StaffCommand`) carries a `StaffProof`: the staff id, the key's id
and a signature over the command (docs/decisions/0010-staff-identity.md gives the exact bytes).
The services verify it before anything else; a command whose proof is missing or wrong is
refused and audited (`StaffCommandRefused`), never carried out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.envelope import Command, Notice

STAFF_ID = r"^[a-z0-9]+(?:[-:.][a-z0-9]+)*$"  # pseudonymous staff id, never a name
KEY_ID = r"^[0-9a-f]{16}$"  # the first 8 bytes of SHA-256 over the raw public key, in hex
# Roles in the covenant's words: the Procesregisseur's tasks (art. 12.2); the Managers, who carry
# out the Regionale Tafel's decisions on the register (art. 11, 20.4, 21.3, 23.2).
Role = Literal["procesregisseur", "manager"]
RefusalReason = Literal[
    "proof_missing",  # no proof at all
    "staff_unknown",  # the staff id is not in the register
    "key_unknown",  # the staff member has no key with this id
    "key_not_valid",  # revoked, expired, or not yet valid
    "signature_invalid",  # the signature does not match this command on this topic
    "identity_mismatch",  # the command names another staff member than the one who signed
    "role_not_allowed",  # the staff member's roles do not include this command's
    "not_fresh",  # issued too long ago (a replay), or in the future
]


class StaffProof(BaseModel):
    """Who signed the command: `signature` is 64 bytes of Ed25519, standard base64 (88 characters)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_id: str = Field(pattern=STAFF_ID, max_length=64)
    key_id: str = Field(pattern=KEY_ID)
    signature: str = Field(pattern=r"^[A-Za-z0-9+/]{86}==$")


class StaffCommand(Command):
    """A command a person issues through the staff tools. `proof` is optional in the schema so
    that a command without one reaches the service and is refused there with a reason and an
    audit record, instead of vanishing as unreadable."""

    proof: StaffProof | None = None


class StaffKey(BaseModel):
    """One public key of a staff member. `public_key`: 32 raw bytes, standard base64.

    A key is valid from `valid_from` until `valid_until` (exclusive; None: no end) unless it was
    revoked; a rotated key keeps a short overlap so commands in flight still verify."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(pattern=KEY_ID)
    public_key: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$")
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None and moment >= self.revoked_at:
            return False
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


class StaffMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_id: str = Field(pattern=STAFF_ID, max_length=64)
    roles: tuple[Role, ...] = Field(min_length=1)
    keys: tuple[StaffKey, ...] = ()

    def key(self, key_id: str) -> StaffKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)


StaffChange = Literal["enrolled", "new-key", "revoked", "roles-changed"]


class StaffRegisterChange(BaseModel):
    """One line of the register's history: who was enrolled, re-keyed, revoked or given other
    roles, when, in which version (the register keeps its history, like the party register)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=0)
    at: AwareDatetime
    staff_id: str = Field(pattern=STAFF_ID, max_length=64)
    change: StaffChange
    key_id: str | None = Field(default=None, pattern=KEY_ID)


class StaffRegister(BaseModel):
    """The staff register: data, versioned like the register of parties. `version` grows by one
    with every change, so a service can say which register it judged a command by, and refuses
    one older than a version it judged by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(default=0, ge=0)
    staff: tuple[StaffMember, ...] = ()
    history: tuple[StaffRegisterChange, ...] = ()

    def member(self, staff_id: str) -> StaffMember | None:
        return next((m for m in self.staff if m.staff_id == staff_id), None)


class StaffCommandRefused(Notice):
    """Audit record (zorgtafel.audit.events.v1): a staff command was not carried out because its
    proof did not hold. `claimed_staff_id` is what the proof claimed, so the security officer can
    see whose identity was tried; it is a pseudonymous staff id, never a name."""

    event_type: Literal["audit.staff-command-refused"] = "audit.staff-command-refused"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str = Field(max_length=80)
    claimed_staff_id: str | None = Field(default=None, pattern=STAFF_ID, max_length=64)
    key_id: str | None = Field(default=None, pattern=KEY_ID)
    reason: RefusalReason
    register_version: int


REASON_CODE = r"^[a-z][a-z0-9_]*$"  # a refusal reason's code, never free text


class StaffCommandAnswered(Notice):
    """What a service made of a staff command (zorgtafel.staff.answers.v1), for the tool that sent
    it and waits: `carried_out`, or `refused` with the reason code of the service's own refusal
    (`IntakeCommandRefused`, `TriageCommandRefused`, …) or of the staff gate (`RefusalReason`).
    Staged in the transaction that carries the command out or refuses it, once per command; the
    answering service is the `producer`, the command's id its `causation_id`. Nothing of a person:
    ids, a command type and a code (docs/decisions/0016)."""

    event_type: Literal["staff.command-answered"] = "staff.command-answered"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str = Field(max_length=80)
    outcome: Literal["carried_out", "refused"]
    reason: str | None = Field(default=None, pattern=REASON_CODE, max_length=64)

    @model_validator(mode="after")
    def _a_refusal_has_a_reason(self) -> StaffCommandAnswered:
        if (self.outcome == "refused") != (self.reason is not None):
            raise ValueError("a refusal has a reason code, a command carried out has none")
        return self
