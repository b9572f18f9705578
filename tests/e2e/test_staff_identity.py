"""Staff identity on the real secured broker and PostgreSQL: a command is carried out only as the
staff member who signed it; a missing, forged, revoked or out-of-role proof is refused and
audited, and the refusal changes nothing (covenant art. 12.2, 17, 23.2; Bijlage 3)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.procesregisseur import Procesregisseur
from shared.contracts.register import ExcludeParty
from shared.contracts.topics import AUDIT_EVENTS, REGISTER_EVENTS
from shared.security.staff_identity import sign
from shared.security.staff_register import enrol, revoke
from tests.infra import Infra
from tests.support import PARTY, Partner, a_referral, at_least, events_on, eventually, running_hub

REFUSED = "audit.staff-command-refused"


async def test_a_command_without_a_valid_proof_is_refused_audited_and_changes_nothing(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        settings = hub.intake.settings
        # A staff member of this test only: a Procesregisseur who is no Manager, revoked below.
        member = f"pr-{namespace}"
        enrol(settings.staff_register_file(), settings.staff_key_file(member), member, ("procesregisseur",),
              now=datetime.now(UTC), valid_for=timedelta(days=1))
        await partner.submit(a_referral())
        (case,) = await eventually(lambda: at_least(hub.cases, 1))
        async with hub.procesregisseur() as pr, Procesregisseur(settings, member) as other:
            # Someone with the staff tools' broker credential, but not pr-test-01's key.
            await pr.publish(sign(pr.accept(case.case_id), pr.staff_id, Ed25519PrivateKey.generate(), settings.topic_prefix))
            await pr.publish(pr.accept(case.case_id))  # no proof at all
            exclude = ExcludeParty(command_id=uuid.uuid4(), issued_at=datetime.now(UTC), code=PARTY, effective_on=date.today())
            await other.publish(other.signed(exclude))  # a Procesregisseur may not change the register
            await eventually(lambda: at_least(lambda: events_on(infra, AUDIT_EVENTS, namespace, REFUSED), 3))
            late = other.signed(other.accept(case.case_id))
            revoke(settings.staff_register_file(), member, now=datetime.now(UTC))
            await other.publish(late)  # signed a moment before the revocation, arriving after it
            refused = await eventually(lambda: at_least(lambda: events_on(infra, AUDIT_EVENTS, namespace, REFUSED), 4))
            (still_received,) = await hub.cases()
            await pr.send(pr.accept(case.case_id))  # the genuine staff member, a Manager too
            await pr.send(exclude.model_copy(update={"command_id": uuid.uuid4()}))
            await eventually(lambda: at_least(hub.triage_cases, 1))
            register_changes = await eventually(lambda: at_least(lambda: events_on(infra, REGISTER_EVENTS, namespace), 1))
        (accepted,) = await hub.cases()
    assert sorted(((r["claimed_staff_id"], r["reason"]) for r in refused), key=str) == sorted([
        ("pr-test-01", "key_unknown"), (None, "proof_missing"), (member, "role_not_allowed"), (member, "key_not_valid"),
    ], key=str)
    assert {r["producer"] for r in refused} == {"intake"}
    assert still_received.status == "received"
    assert (accepted.status, accepted.decided_by) == ("accepted", "pr-test-01")
    # Only the Manager's exclusion was carried out, and the register's fact names who decided it.
    assert [(e["event_type"], e["decided_by"]) for e in register_changes] == [("register.party-excluded", "pr-test-01")]
