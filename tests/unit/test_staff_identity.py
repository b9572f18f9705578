"""Staff identity without I/O: every staff command signs and verifies, and every way a proof can
be wrong is refused with its own reason (covenant art. 12.2, 17; shared/security/staff_identity.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.config import IntakeSettings
from services.procesregisseur import Procesregisseur
from shared.contracts.register import AdmitParty, ExcludeParty, PartyDetails, RecordPartyLeaving
from shared.contracts.staff import StaffCommand, StaffRegister
from shared.contracts.triage import DecisionType
from shared.security.staff_identity import judge_proof, sign
from shared.security.staff_register import enrol, load_register, revoke

PREFIX = "acc."
WEEK = timedelta(days=7)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> IntakeSettings:
    return IntakeSettings(state_dir=str(tmp_path), topic_prefix=PREFIX)


def enrolled(settings: IntakeSettings, member: str, *roles: Any) -> Procesregisseur:
    enrol(settings.staff_register_file(), settings.staff_key_file(member), member, roles or ("procesregisseur",),
          now=datetime.now(UTC) - timedelta(minutes=1), valid_for=timedelta(days=1))
    return Procesregisseur(settings, member)


def register_of(settings: IntakeSettings) -> StaffRegister:
    return load_register(settings.staff_register_file())


def judged(command: StaffCommand, settings: IntakeSettings, *, now: datetime | None = None, prefix: str = PREFIX) -> str | None:
    # The service's view: the JSON object on the wire, and the model FastStream validates from it.
    wire = json.loads(command.model_dump_json())
    received = type(command).model_validate(wire)
    return judge_proof(received, wire, register_of(settings), topic_prefix=prefix, now=now or datetime.now(UTC), max_age=WEEK)


def every_staff_command(pr: Procesregisseur) -> list[StaffCommand]:
    case, meeting, action = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    new = {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}
    party = PartyDetails(code="stichting-nieuw", name="Stichting Nieuw", kind="organisation", sector="welfare")
    return [
        pr.accept(case), pr.decline(case, "Geen signalen."), pr.ask(case, "Sinds wanneer?"),
        pr.consult(case, ["ggd-brabant-zuidoost"], "Bekend?", datetime.now(UTC) + timedelta(days=2)),
        pr.to_casusoverleg(case, goal="Veiligheid.", themes=["wonen"], decision_types=[DecisionType.PLAN_VAN_AANPAK], invite=["coa-grave"],
                           justification="Urgent."),
        pr.not_a_zorgtafel_case(case, "Elders in zorg."), pr.escalate(case, "brabant-zuidoost"),
        pr.schedule(case, datetime(2026, 12, 7, 10, 30, tzinfo=UTC) + timedelta(hours=1)),
        pr.invite(meeting, ["coa-grave"]), pr.share_beforehand(meeting, [action]),
        pr.attendance(meeting, ["coa-grave"], ["ggd-brabant-zuidoost"], [action]), pr.appoint(meeting, "coa-grave"),
        pr.adopt_plan(meeting, [pr.action("coa-grave", date(2027, 1, 4), "Opvang.", "Adres.")]),
        pr.afschaling_criteria(case, meeting, "Stabiel."), pr.carry_over(meeting, [(action, "not_undertaken")]),
        pr.afschaling(meeting), pr.erasure(case, "safety"), pr.access_export(case, "coa-grave"),
        AdmitParty(**new, party=party, effective_on=date(2026, 12, 1)),  # type: ignore[arg-type]
        RecordPartyLeaving(**new, code="coa-grave", effective_on=date(2027, 1, 1)),  # type: ignore[arg-type]
        ExcludeParty(**new, code="coa-grave", effective_on=date(2026, 11, 30)),  # type: ignore[arg-type]
    ]


def _subclasses(cls: type) -> set[type]:
    return {s for c in cls.__subclasses__() for s in {c, *_subclasses(c)}}


def test_every_staff_command_verifies_after_the_wire_when_its_signer_may_issue_it(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01", "procesregisseur", "manager")
    commands = every_staff_command(pr)
    assert {type(c) for c in commands} == _subclasses(StaffCommand)  # a new staff command is covered here too
    assert [(c.command_type, judged(pr.signed(c), settings)) for c in commands] == [(c.command_type, None) for c in commands]


def test_a_command_without_proof_is_refused(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01")
    assert judged(pr.accept(uuid.uuid4()), settings) == "proof_missing"


def test_a_staff_id_outside_the_register_is_refused(settings: IntakeSettings) -> None:
    stranger = Ed25519PrivateKey.generate()
    command = enrolled(settings, "pr-01").accept(uuid.uuid4()).model_copy(update={"decided_by": "pr-99"})
    assert judged(sign(command, "pr-99", stranger, PREFIX), settings) == "staff_unknown"


def test_a_forged_proof_in_a_real_staff_members_name_is_refused(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01")
    command = pr.accept(uuid.uuid4())
    forger = Ed25519PrivateKey.generate()
    assert judged(sign(command, "pr-01", forger, PREFIX), settings) == "key_unknown"
    # The real key's id on the forger's signature: the signature gives it away.
    genuine = pr.signed(command)
    forged = sign(command, "pr-01", forger, PREFIX)
    assert genuine.proof is not None and forged.proof is not None
    relabelled = forged.model_copy(update={"proof": forged.proof.model_copy(update={"key_id": genuine.proof.key_id})})
    assert judged(relabelled, settings) == "signature_invalid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c.model_copy(update={"case_id": uuid.uuid4()}),
        lambda c: c.model_copy(update={"command_id": uuid.uuid4()}),
        lambda c: c.model_copy(update={"issued_at": c.issued_at + timedelta(seconds=1)}),
    ],
    ids=["other-case", "other-command-id", "other-moment"],
)
def test_a_signed_command_changed_afterwards_is_refused(settings: IntakeSettings, tamper: Callable[[Any], Any]) -> None:
    pr = enrolled(settings, "pr-01")
    assert judged(tamper(pr.signed(pr.accept(uuid.uuid4()))), settings) == "signature_invalid"


def test_a_command_signed_for_another_environment_is_refused(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01")
    assert judged(pr.signed(pr.accept(uuid.uuid4())), settings, prefix="prod.") == "signature_invalid"


def test_a_command_naming_another_staff_member_than_its_signer_is_refused(settings: IntakeSettings) -> None:
    enrolled(settings, "pr-02")
    pr = enrolled(settings, "pr-01")
    command = pr.accept(uuid.uuid4()).model_copy(update={"decided_by": "pr-02"})
    assert judged(pr.signed(command), settings) == "identity_mismatch"


def test_a_register_change_by_a_procesregisseur_who_is_no_manager_is_refused(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01", "procesregisseur")
    exclude = ExcludeParty(command_id=uuid.uuid4(), issued_at=datetime.now(UTC), code="coa-grave", effective_on=date.today())
    assert judged(pr.signed(exclude), settings) == "role_not_allowed"


def test_an_old_or_future_command_is_refused_as_not_fresh(settings: IntakeSettings) -> None:
    enrol(settings.staff_register_file(), settings.staff_key_file("pr-03"), "pr-03", None,
          now=datetime.now(UTC) - timedelta(days=30), valid_for=timedelta(days=60))
    old = Procesregisseur(settings, "pr-03")
    stale = old.accept(uuid.uuid4()).model_copy(update={"issued_at": datetime.now(UTC) - WEEK - timedelta(minutes=1)})
    future = old.accept(uuid.uuid4()).model_copy(update={"issued_at": datetime.now(UTC) + timedelta(minutes=6)})
    assert judged(old.signed(stale), settings) == "not_fresh"
    assert judged(old.signed(future), settings) == "not_fresh"


def test_a_revoked_key_is_refused_from_the_moment_of_revocation(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01")
    signed = pr.signed(pr.accept(uuid.uuid4()))
    assert judged(signed, settings) is None
    revoke(settings.staff_register_file(), "pr-01", now=datetime.now(UTC))
    assert judged(signed, settings) == "key_not_valid"


def test_a_rotated_key_verifies_during_the_overlap_and_not_after(settings: IntakeSettings) -> None:
    pr = enrolled(settings, "pr-01")
    before = pr.signed(pr.accept(uuid.uuid4()))
    enrol(settings.staff_register_file(), settings.staff_key_file("pr-01"), "pr-01", None,
          now=datetime.now(UTC), valid_for=timedelta(days=1), new_key=True)
    assert judged(before, settings) is None  # signed with the old key, still in flight
    assert judged(before, settings, now=datetime.now(UTC) + timedelta(minutes=11)) == "key_not_valid"
    assert judged(Procesregisseur(settings, "pr-01").signed(pr.accept(uuid.uuid4())), settings) is None


def test_the_signed_bytes_are_fixed_by_the_published_recipe() -> None:
    """A test vector: the decision record's recipe, computed by hand, verifies with the key."""
    import base64

    from shared.contracts.intake import AcceptReferral
    from shared.security.staff_identity import signed_bytes

    command = AcceptReferral(command_id=uuid.UUID(int=1), issued_at=NOW, case_id=uuid.UUID(int=2), decided_by="pr-01")
    expected = (
        b"zorgtafel.staff-command.v1\nacc.zorgtafel.intake.commands.v1\n"
        b'{"case_id":"00000000-0000-0000-0000-000000000002","command_id":"00000000-0000-0000-0000-000000000001",'
        b'"command_type":"intake.accept-referral","correlation_id":null,"decided_by":"pr-01",'
        b'"issued_at":"2026-11-30T09:00:00Z","schema_version":1}'
    )
    assert signed_bytes(command.model_dump(mode="json"), "acc.zorgtafel.intake.commands.v1") == expected
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    proof = sign(command, "pr-01", key, PREFIX).proof
    assert proof is not None
    key.public_key().verify(base64.b64decode(proof.signature), expected)


def _look(actor: str) -> Any:
    from shared.audit.access import access_record

    return access_record("ab" * 32, kind="view", actor=actor, actor_type="staff", role="procesregisseur",
                         view="triage-state", purpose="zorgtafel-casus", authorisation="art. 12.2", source="cli")


def test_a_staff_members_look_is_verified_only_when_signed_by_the_one_it_names(settings: IntakeSettings) -> None:
    from services.audit.store import check_actor
    from shared.security.staff_identity import sign_record

    enrolled(settings, "pr-02")
    pr = enrolled(settings, "pr-01")
    own = sign_record(_look("pr-01"), pr._signing_key, PREFIX)
    framed = sign_record(_look("pr-02"), pr._signing_key, PREFIX)  # pr-01 writes a look in pr-02's name
    as_command = own.model_copy(update={"view": "meeting-state"})  # changed after signing

    def checked(record: Any) -> str:
        wire = json.loads(record.model_dump_json())
        return check_actor(type(record).model_validate(wire), wire, register_of(settings), PREFIX)

    assert [checked(r) for r in (own, _look("pr-01"), framed, as_command)] == [
        "verified", "proof_missing", "key_unknown", "signature_invalid",
    ]
    disclosure = _look("coa-grave").model_copy(update={"actor_type": "party", "role": "invited-party"})
    assert checked(disclosure) == "hub"
    # No register to judge by: the look is kept, marked, never dropped.
    assert check_actor(own, json.loads(own.model_dump_json()), None, PREFIX) == "register_unreadable"


def test_the_signature_covers_the_json_as_sent_so_a_receiver_with_another_contract_version_still_verifies(
    settings: IntakeSettings,
) -> None:
    pr = enrolled(settings, "pr-01")
    signed = pr.signed(pr.accept(uuid.uuid4()))
    wire = json.loads(signed.model_dump_json())
    wire["issued_at"] = wire["issued_at"].replace("Z", "+00:00")  # the same moment, other bytes: not what was signed
    received = type(signed).model_validate(wire)
    assert judge_proof(received, wire, register_of(settings), topic_prefix=PREFIX, now=datetime.now(UTC), max_age=WEEK) == (
        "signature_invalid"
    )
    # A receiver whose contract has one more optional field reads the object as sent: still verified.
    from shared.contracts.intake import AcceptReferral

    class NewerAcceptReferral(AcceptReferral):
        note: str | None = None

    sent = json.loads(signed.model_dump_json())
    newer = NewerAcceptReferral.model_validate(sent)
    assert judge_proof(newer, sent, register_of(settings), topic_prefix=PREFIX, now=datetime.now(UTC), max_age=WEEK) is None


def test_the_staff_tools_refuse_to_send_what_the_staff_register_already_refuses(settings: IntakeSettings) -> None:
    import asyncio

    from services.procesregisseur import StaffCommandRefusedError

    pr = enrolled(settings, "pr-01", "procesregisseur")
    exclude = ExcludeParty(command_id=uuid.uuid4(), issued_at=datetime.now(UTC), code="coa-grave", effective_on=date.today())
    with pytest.raises(StaffCommandRefusedError, match="role_not_allowed: register.exclude-party needs the role manager"):
        asyncio.run(pr.send(exclude))  # refused before any connection is made
    revoke(settings.staff_register_file(), "pr-01", now=datetime.now(UTC))
    with pytest.raises(StaffCommandRefusedError, match="key_not_valid"):
        asyncio.run(pr.send(pr.accept(uuid.uuid4())))
